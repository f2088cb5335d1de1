/* fztext.h: FZ_TEXT puts a function in fathom's own code section, fathom_text, so that the CPU
 * sampler (sampler.c) can tell a sample taken in fathom from one taken in the program. The
 * recorder's functions carry it, and so do the inline helpers of the headers it includes:
 * wherever a compiler emits one of those out of line (-O0, -Os, sanitizers) it stays in the
 * section (tests/test_text_section.sh checks). */
#ifndef FATHOM_FZTEXT_H
#define FATHOM_FZTEXT_H
#define FZ_TEXT __attribute__((section("fathom_text")))
#endif
