package service

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// secretBox encrypts Naver secret keys at rest with AES-256-GCM; the nonce leads the ciphertext.
type secretBox struct{ aead cipher.AEAD }

func newSecretBox(key []byte) (*secretBox, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("service: secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("service: secret key: %w", err)
	}
	return &secretBox{aead: aead}, nil
}

// seal encrypts plain, bound to the account id so a ciphertext cannot be moved to another account.
func (b *secretBox) seal(plain, accountID string) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("service: nonce: %w", err)
	}
	return b.aead.Seal(nonce, nonce, []byte(plain), []byte(accountID)), nil
}

// open decrypts; a wrong key or a tampered value is an error that says so without content.
func (b *secretBox) open(sealed []byte, accountID string) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("service: stored secret is damaged")
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(accountID))
	if err != nil {
		return "", errors.New("service: stored secret cannot be decrypted (was NAVERSYNC_SECRET_KEY changed?)")
	}
	return string(plain), nil
}
