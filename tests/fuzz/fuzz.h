/* fuzz.h - what the libFuzzer harnesses of tests/fuzz share. Each harness is
 * one file defining LLVMFuzzerTestOneInput for one entry point of dlacc that
 * reads untrusted bytes. It is built twice: with clang's libFuzzer
 * (-DDLA_FUZZ=ON, bench/fuzz.sh, CI's smoke run) and, always, with
 * replay_main.c as a plain program that feeds it files, so that every input
 * that once crashed (tests/fuzz/regress/<harness>/) is replayed by CTest in
 * every build, sanitizer build included.
 *
 * A harness must return 0 whatever the input: a clear error is the expected
 * outcome for most inputs. What it must never do is crash, leak, hang or read
 * outside its buffers; the sanitizers and libFuzzer's timeouts catch those. */
#ifndef DLA_TESTS_FUZZ_H
#define DLA_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private scratch folder for harnesses that must hand a file to an API that
 * takes paths (the compile driver, calibration folders): created once per
 * process under $TMPDIR, removed at exit. */
const char *fuzz_scratch_dir(void);

/* Write size bytes to path (replacing it); 0 on success. */
int fuzz_write_file(const char *path, const void *data, size_t size);

#endif
