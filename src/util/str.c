/* str.c: string copies (see str.h). */
#include "util/str.h"

#include <string.h>

char *fz_strdup(const char *s) { return s ? strdup(s) : NULL; }
char *fz_strdup_or_empty(const char *s) { return strdup(s ? s : ""); }
