/* export_html.c: PLACEHOLDER while issue 4 is built (replaced by its real writer). */
#include <stdio.h>

#include "model.h"

int fz_write_html(const fathom_profile *p, FILE *f) {
  (void)p;
  (void)f;
  return FATHOM_E_NOTSUP;
}
