// OpenSSL libcrypto (Debian libssl-dev): HMAC-SHA256 card fingerprints, and
// AES-256-GCM for the card vault.
#ifndef TOLLGATE_COPENSSL_SHIM_H
#define TOLLGATE_COPENSSL_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#endif
