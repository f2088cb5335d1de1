/* str.h: string copies that every stage uses. */
#ifndef FATHOM_STR_H
#define FATHOM_STR_H

char *fz_strdup(const char *s);            /* NULL -> NULL */
char *fz_strdup_or_empty(const char *s);   /* NULL -> "" (allocated) */

#endif
