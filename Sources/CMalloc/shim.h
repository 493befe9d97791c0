#ifndef STARLING_CMALLOC_SHIM_H
#define STARLING_CMALLOC_SHIM_H
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
#endif
