#ifndef STARLING_CSYSTEMRANDOM_SHIM_H
#define STARLING_CSYSTEMRANDOM_SHIM_H
/* getrandom(2), which the Glibc module does not bring in. */
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#endif
#endif
