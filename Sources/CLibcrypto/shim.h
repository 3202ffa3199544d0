#ifndef SOCKLAB_CLIBCRYPTO_SHIM_H
#define SOCKLAB_CLIBCRYPTO_SHIM_H

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

/* The BIO_SOCK_* options as functions (Swift imports the macros, but this keeps them in one place
   with the version check). */
static inline int socklab_bio_sock_reuseaddr(void) { return BIO_SOCK_REUSEADDR; }
static inline int socklab_bio_sock_v6_only(void) { return BIO_SOCK_V6_ONLY; }
static inline int socklab_bio_sock_keepalive(void) { return BIO_SOCK_KEEPALIVE; }
static inline int socklab_bio_sock_nonblock(void) { return BIO_SOCK_NONBLOCK; }
static inline int socklab_bio_sock_nodelay(void) { return BIO_SOCK_NODELAY; }

/* BIO_SOCK_TFO exists from OpenSSL 3.2 on; 0 means this libcrypto does not have it. */
static inline int socklab_bio_sock_tfo(void) {
#ifdef BIO_SOCK_TFO
  return BIO_SOCK_TFO;
#else
  return 0;
#endif
}

static inline const char *socklab_openssl_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

#endif
