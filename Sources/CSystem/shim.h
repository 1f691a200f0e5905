// C library declarations Swift's Glibc module does not carry. Header only: everything here is in libc.
#ifdef __linux__
#include <sys/random.h>  // getrandom(2): SystemRandom
#endif
