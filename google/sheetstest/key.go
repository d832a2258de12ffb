package sheetstest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
)

// ServiceAccountKey makes a service-account JSON key for email whose token_uri is tokenURL
// (the stand-in's POST /token): a writer built with it asks the stand-in for tokens, and its
// requests are the caller email's, as a real key's are at Google. The key pair is new (the
// stand-in does not check the assertion's signature).
func ServiceAccountKey(email, tokenURL string) ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("service account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("service account key: %w", err)
	}
	return json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": keyProject(email), "private_key_id": "sheetstest",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": email, "client_id": "1", "token_uri": tokenURL,
	}, "", "  ")
}

// keyProject is the project of a service account's e-mail (name@project.iam.gserviceaccount.com);
// "default" for another form.
func keyProject(email string) string {
	const suffix = ".iam.gserviceaccount.com"
	for i := 0; i < len(email); i++ {
		if email[i] == '@' {
			rest := email[i+1:]
			if len(rest) > len(suffix) && rest[len(rest)-len(suffix):] == suffix {
				return rest[:len(rest)-len(suffix)]
			}
			break
		}
	}
	return "default"
}
