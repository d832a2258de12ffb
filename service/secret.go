package service

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// secretBox encrypts Naver secret keys at rest with AES-256-GCM; the nonce leads the ciphertext.
// It encrypts with the current key; older keys (a rotation in progress) still decrypt.
type secretBox struct {
	aead cipher.AEAD
	old  []cipher.AEAD
}

func newSecretBox(key []byte, old ...[]byte) (*secretBox, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("service: secret key: %w", err)
	}
	b := &secretBox{aead: aead}
	for i, k := range old {
		a, err := newAEAD(k)
		if err != nil {
			return nil, fmt.Errorf("service: old secret key %d: %w", i+1, err)
		}
		b.old = append(b.old, a)
	}
	return b, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain, bound to the account id so a ciphertext cannot be moved to another account.
func (b *secretBox) seal(plain, accountID string) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("service: nonce: %w", err)
	}
	return b.aead.Seal(nonce, nonce, []byte(plain), []byte(accountID)), nil
}

// open decrypts with the current key or an old one; a wrong key or a tampered value is an
// error that says so without content.
func (b *secretBox) open(sealed []byte, accountID string) (string, error) {
	plain, _, err := b.openCurrent(sealed, accountID)
	return plain, err
}

// openCurrent decrypts and reports whether the current key did (false: an old key did, the
// secret should be encrypted again).
func (b *secretBox) openCurrent(sealed []byte, accountID string) (string, bool, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return "", false, errors.New("service: stored secret is damaged")
	}
	for i, a := range append([]cipher.AEAD{b.aead}, b.old...) {
		if plain, err := a.Open(nil, sealed[:n], sealed[n:], []byte(accountID)); err == nil {
			return string(plain), i == 0, nil
		}
	}
	return "", false, errors.New("service: stored secret cannot be decrypted (was NAVERSYNC_SECRET_KEY changed without NAVERSYNC_SECRET_KEYS_OLD?)")
}
