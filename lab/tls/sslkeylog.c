/* sslkeylog.c: LD_PRELOAD shim that makes any OpenSSL >= 1.1.1 program (kamailio, sipp, baresip's
 * libre) write its TLS secrets to $SSLKEYLOGFILE in the NSS key log format, so Wireshark can
 * decrypt the lab's TLS captures. OpenSSL 3.0 has no built-in SSLKEYLOGFILE support; this only
 * installs SSL_CTX_set_keylog_callback() on every SSL_CTX an SSL object is created from.
 * Build: gcc -shared -fPIC -O2 -o sslkeylog.so sslkeylog.c -ldl -lssl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void keylog_cb(const SSL *ssl, const char *line) {
  (void)ssl;
  const char *path = getenv("SSLKEYLOGFILE");
  if (!path || !*path) return;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  size_t n = strlen(line);
  char buf[1024];
  if (n + 1 < sizeof buf) {
    memcpy(buf, line, n);
    buf[n] = '\n';
    ssize_t w = write(fd, buf, n + 1);
    (void)w;
  }
  close(fd);
}

SSL *SSL_new(SSL_CTX *ctx) {
  static SSL *(*real_new)(SSL_CTX *) = NULL;
  if (!real_new) real_new = (SSL * (*)(SSL_CTX *)) dlsym(RTLD_NEXT, "SSL_new");
  if (ctx) SSL_CTX_set_keylog_callback(ctx, keylog_cb);
  return real_new(ctx);
}
