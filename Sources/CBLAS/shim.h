#ifndef STARLING_CBLAS_SHIM_H
#define STARLING_CBLAS_SHIM_H
#include <cblas.h>
#endif
