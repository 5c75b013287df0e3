/* sha512: the SHA-512 digest (FIPS 180-4), for random.seed() of a str or bytes.
 *
 * CPython's random.seed(s) in version 2 seeds from int.from_bytes(s + sha512(s).digest()), so
 * reproducing its sequences for string seeds needs the digest.  Pure C, no allocation.
 */
#ifndef AIO_SHA512_H
#define AIO_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define SHA512_DIGEST_SIZE 64

// Writes the 64-byte digest of data[0..n) to out.
void sha512_digest(const void *data, size_t n, uint8_t out[SHA512_DIGEST_SIZE]);

#endif
