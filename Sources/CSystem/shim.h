// C library declarations Swift's Glibc module does not carry. Header only: everything here is in libc.
#ifdef __linux__
#include <sys/random.h>   // getrandom(2): SystemRandom
#include <sys/epoll.h>    // the worker's connection set: Connections
#include <sys/eventfd.h>
#include <malloc.h>       // malloc_trim(3): an idle worker's heap goes back to the kernel
// accept4(2) is declared only under _GNU_SOURCE, which the Glibc module is not built with. Declared here without
// including <sys/socket.h>, whose types belong to the Glibc module (socklen_t is an unsigned int on Linux).
struct sockaddr;
extern int accept4(int sockfd, struct sockaddr *addr, unsigned int *addrlen, int flags);
#include <sys/prctl.h>
// prctl(2) is variadic, which Swift cannot call: the one use, a signal when the parent process dies.
static inline int cognito_fcgi_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}
#endif
