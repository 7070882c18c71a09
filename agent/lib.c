/* The little of a C library the agent needs (gcc may emit calls to memset/memcpy itself). */
#include <stdarg.h>
#include "agent.h"

void *memset(void *d, int c, size_t n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, size_t n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static void put(char *buf, int size, int *n, char c) {
  if (*n < size - 1) buf[*n] = c;
  (*n)++;
}

int fmt(char *buf, int size, const char *f, ...) {
  va_list ap;
  int n = 0;
  va_start(ap, f);
  for (; *f; f++) {
    if (*f != '%') {
      put(buf, size, &n, *f);
      continue;
    }
    f++;
    if (*f == 's') {
      const char *s = va_arg(ap, const char *);
      while (*s) put(buf, size, &n, *s++);
    } else if (*f == 'x') {
      u64 v = va_arg(ap, u64);
      char tmp[16];
      int k = 0;
      do { tmp[k++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
      put(buf, size, &n, '0');
      put(buf, size, &n, 'x');
      while (k) put(buf, size, &n, tmp[--k]);
    } else if (*f == 'd') {
      i64 v = va_arg(ap, i64);
      char tmp[20];
      int k = 0;
      u64 u = v < 0 ? (u64)-v : (u64)v;
      if (v < 0) put(buf, size, &n, '-');
      do { tmp[k++] = (char)('0' + u % 10); u /= 10; } while (u);
      while (k) put(buf, size, &n, tmp[--k]);
    } else {
      put(buf, size, &n, *f);
    }
  }
  va_end(ap);
  if (size > 0) buf[n < size ? n : size - 1] = 0;
  return n < size ? n : size - 1;
}
