#ifndef STARLING_CSQLITE_SHIM_H
#define STARLING_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
