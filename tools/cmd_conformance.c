/* cmd_conformance.c - `dlacc conformance [DIR]`: the ONNX backend node tests
 * through the host backend.
 *
 * Every sub-directory of DIR holding model.onnx and test_data_set_N folders is one
 * test. Each test runs in a forked child (so a crash or a hang in one test is
 * a FAIL of that test, not the end of the run; -j runs several at once): it is
 * loaded, shape-inferred, JIT-compiled and run on every data set, and each
 * output is compared with ONNX's tolerances |got - want| <= atol + rtol*|want|
 * (rtol 1e-3, atol 1e-7; NaN matches NaN; integers and bools exactly).
 * Results: PASS, FAIL (wrong values, wrong shape, crash, timeout, or an error
 * that is not "unsupported") and UNSUPPORTED (the frontend, shape inference or
 * host backend reported an op, dtype or attribute it does not handle).
 * The last line of stdout is exactly "N passed, N failed, N skipped".
 *
 * --expect LIST compares with a checked-in list of passing tests: every listed
 * test that does not pass is a REGRESSION (exit status 1); tests that pass but
 * are not listed are reported as NEW PASS. --json and --markdown write the
 * per-test results and the per-op table (docs/conformance.md). */
/* Long paths and messages are cut on purpose (bounded report lines). The
 * warning group is gcc's: clang has no -Wformat-truncation and would reject it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include "cli.h"
#include "dla_file.h"
#include "driver/host_session.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONF_RTOL 1e-3
#define CONF_ATOL 1e-7
#define CONF_MSG 1024

enum { R_PENDING, R_PASS, R_FAIL, R_UNSUP };
static const char *const rname[] = {"PENDING", "PASS", "FAIL", "UNSUPPORTED"};

typedef struct Test {
    char *name;
    int result;
    char reason[CONF_MSG];
    char ops[256]; /* op types, comma-separated */
    double secs;
    pid_t pid;
    int fd;
} Test;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* ---- the child: one test ---- */

static double elem(const void *d, IrDtype t, size_t i)
{
    switch (t) {
    case DT_FLOAT: return ((const float *)d)[i];
    case DT_DOUBLE: return ((const double *)d)[i];
    case DT_FLOAT16: {
        uint16_t h = ((const uint16_t *)d)[i];
        int e = (h >> 10) & 31, m = h & 1023;
        double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
        return h & 0x8000 ? -v : v;
    }
    case DT_BFLOAT16: {
        uint32_t w = (uint32_t)((const uint16_t *)d)[i] << 16;
        float f;
        memcpy(&f, &w, 4);
        return f;
    }
    default: return 0;
    }
}

static int is_floaty(IrDtype t) { return t == DT_FLOAT || t == DT_DOUBLE || t == DT_FLOAT16 || t == DT_BFLOAT16; }

/* 0 if equal within tolerance, else 1 with msg. */
static int compare(const IrValue *v, const void *got, const OnnxTensorFile *want, int k, char *msg, size_t n)
{
    char a[160], b[160];
    /* ONNX's older test data stores bfloat16 as uint16 (same bits): compare as bfloat16 */
    IrDtype wdt = want->dtype == DT_UINT16 && v->dtype == DT_BFLOAT16 ? DT_BFLOAT16 : want->dtype;
    if (v->dtype != wdt || !ir_shape_equal(&v->shape, &want->shape)) {
        snprintf(msg, n, "output %d '%s': got %s %s, expected %s %s", k, v->name, ir_dtype_name(v->dtype),
                 ir_shape_str(&v->shape, a, sizeof a), ir_dtype_name(want->dtype),
                 ir_shape_str(&want->shape, b, sizeof b));
        return 1;
    }
    size_t cnt = (size_t)ir_shape_numel(&v->shape), es = ir_dtype_size(v->dtype);
    if (want->nbytes < cnt * es) {
        snprintf(msg, n, "output %d: reference file is short", k);
        return 1;
    }
    if (!is_floaty(v->dtype)) {
        for (size_t i = 0; i < cnt; i++)
            if (memcmp((const char *)got + i * es, (const char *)want->data + i * es, es)) {
                snprintf(msg, n, "output %d '%s': element %zu differs (integer compare)", k, v->name, i);
                return 1;
            }
        return 0;
    }
    size_t bad = 0, first = 0;
    double worst = 0;
    for (size_t i = 0; i < cnt; i++) {
        double x = elem(got, v->dtype, i), y = elem(want->data, v->dtype, i);
        if (isnan(x) && isnan(y))
            continue;
        if (x == y)
            continue;
        double d = fabs(x - y);
        if (!(d <= CONF_ATOL + CONF_RTOL * fabs(y))) {
            if (!bad++)
                first = i;
            if (!(d <= worst))
                worst = d;
        }
    }
    if (bad) {
        snprintf(msg, n, "output %d '%s': %zu of %zu elements off, first at %zu: got %.9g expected %.9g (max abs err %.3g)",
                 k, v->name, bad, cnt, first, elem(got, v->dtype, first), elem(want->data, v->dtype, first), worst);
        return 1;
    }
    return 0;
}

static int read_set(const char *dir, const char *prefix, OnnxTensorFile *t, int max, int *n, char *msg, size_t mn)
{
    *n = 0;
    for (int i = 0; i < max; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s_%d.pb", dir, prefix, i);
        if (!exists(p))
            break;
        DlaError err = {0};
        if (onnx_tensor_read(p, &t[i], &err)) {
            snprintf(msg, mn, "%s", err.msg);
            return err.code == DLA_ERR_UNSUPPORTED ? R_UNSUP : R_FAIL;
        }
        (*n)++;
    }
    return 0;
}

/* The model's op types; returns 1 if a graph input or output is not a plain
 * numeric tensor (sequence, optional, map, string): such tests are unsupported. */
static int list_ops(const char *model, char *ops, size_t n)
{
    IrGraph *g = NULL;
    DlaError err = {0};
    ops[0] = 0;
    if (onnx_load(model, NULL, &g, &err))
        return 0;
    int odd = 0;
    for (int32_t i = 0; i < g->ninputs + g->noutputs; i++) {
        const IrValue *v = &g->values[i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs]];
        odd |= (v->flags & (IR_VAL_SEQUENCE | IR_VAL_OPTIONAL | IR_VAL_MAP)) || v->dtype == DT_STRING;
    }
    size_t k = 0;
    for (int32_t i = 0; i < g->nnodes; i++) {
        const char *t = g->nodes[i].op_type;
        int dup = 0;
        for (int32_t j = 0; j < i && !dup; j++)
            dup = !strcmp(g->nodes[j].op_type, t);
        if (!dup && k + strlen(t) + 2 < n)
            k += (size_t)snprintf(ops + k, n - k, "%s%s", k ? "," : "", t);
    }
    ir_graph_free(g);
    return odd;
}

#define MAX_IO 64

static int run_test(const char *dir, int opt, char *msg, size_t mn)
{
    char model[4096];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    /* data sets, sorted */
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(msg, mn, "cannot open %s", dir);
        return R_FAIL;
    }
    char *sets[64];
    int nsets = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nsets < 64)
        if (!strncmp(e->d_name, "test_data_set_", 14))
            sets[nsets++] = dla_strdup(e->d_name);
    closedir(d);
    qsort(sets, (size_t)nsets, sizeof *sets, cmp_str);
    int result = R_PASS;
    HostSession s;
    int open = 0;
    for (int si = 0; si < nsets && result == R_PASS; si++) {
        char sd[4096];
        snprintf(sd, sizeof sd, "%s/%s", dir, sets[si]);
        OnnxTensorFile in[MAX_IO], want[MAX_IO];
        memset(in, 0, sizeof in);
        memset(want, 0, sizeof want);
        int nin = 0, nw = 0, r;
        if ((r = read_set(sd, "input", in, MAX_IO, &nin, msg, mn)) || (r = read_set(sd, "output", want, MAX_IO, &nw, msg, mn))) {
            result = r;
        } else {
            /* a specialized model is valid for its data set's integer inputs only: recompile per set */
            if (open && (s.nin != s.nin_orig)) {
                host_session_close(&s);
                open = 0;
            }
            DlaError err = {0};
            if (!open) {
                HostSessionOptions so = {NULL, 0, in, nin, 1, opt};
                DlaStatus st = host_session_open(model, &so, &s, &err);
                if (st) {
                    snprintf(msg, mn, "%s", err.msg);
                    result = st == DLA_ERR_UNSUPPORTED ? R_UNSUP : R_FAIL;
                } else {
                    open = 1;
                }
            }
            if (open) {
                void *out[MAX_IO * 4];
                if (s.g->noutputs != nw || nw > MAX_IO) {
                    snprintf(msg, mn, "model has %d outputs, data set %d", (int)s.g->noutputs, nw);
                    result = R_FAIL;
                } else if (host_session_run(&s, in, nin, out, &err)) {
                    snprintf(msg, mn, "%s", err.msg);
                    result = R_FAIL;
                } else {
                    for (int k = 0; k < nw; k++) {
                        if (result == R_PASS && compare(&s.g->values[s.g->outputs[k]], out[k], &want[k], k, msg, mn))
                            result = R_FAIL;
                        free(out[k]);
                    }
                }
            }
        }
        for (int i = 0; i < nin; i++)
            onnx_tensor_file_free(&in[i]);
        for (int i = 0; i < nw; i++)
            onnx_tensor_file_free(&want[i]);
    }
    if (open)
        host_session_close(&s);
    if (!nsets && result == R_PASS) {
        snprintf(msg, mn, "no test_data_set_* in %s", dir);
        result = R_FAIL;
    }
    for (int i = 0; i < nsets; i++)
        free(sets[i]);
    return result;
}

/* ---- the parent ---- */

static void spawn(Test *t, const char *root, int opt, int timeout)
{
    int fds[2];
    if (pipe(fds)) {
        t->result = R_FAIL;
        snprintf(t->reason, sizeof t->reason, "pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        t->result = R_FAIL;
        snprintf(t->reason, sizeof t->reason, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        alarm((unsigned)timeout);
        char dir[4096], msg[CONF_MSG] = "", ops[256];
        snprintf(dir, sizeof dir, "%s/%s", root, t->name);
        char model[4200];
        snprintf(model, sizeof model, "%s/model.onnx", dir);
        int odd = list_ops(model, ops, sizeof ops);
        /* ops first: a crash while running still leaves them */
        char buf[CONF_MSG + 300];
        int n = snprintf(buf, sizeof buf, "O%s\n", ops);
        if (write(fds[1], buf, (size_t)n) < 0)
            _exit(3);
        double t0 = host_now();
        int r = R_UNSUP;
        if (odd)
            snprintf(msg, sizeof msg, "graph inputs/outputs that are sequences, optionals, maps or strings");
        else
            r = run_test(dir, opt, msg, sizeof msg);
        for (char *p = msg; *p; p++)
            if (*p == '\n' || *p == '\t')
                *p = ' ';
        n = snprintf(buf, sizeof buf, "R%d %.4f %s\n", r, host_now() - t0, msg);
        if (write(fds[1], buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1)) < 0)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    t->pid = pid;
    t->fd = fds[0];
}

static void collect(Test *t, int status)
{
    char buf[4096];
    size_t k = 0;
    ssize_t n;
    while (k < sizeof buf - 1 && (n = read(t->fd, buf + k, sizeof buf - 1 - k)) > 0)
        k += (size_t)n;
    buf[k] = 0;
    close(t->fd);
    t->fd = -1;
    char *line = buf;
    int got = 0;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (line[0] == 'O')
            snprintf(t->ops, sizeof t->ops, "%s", line + 1);
        else if (line[0] == 'R') {
            int r = 0;
            double secs = 0;
            int off = 0;
            if (sscanf(line + 1, "%d %lf %n", &r, &secs, &off) >= 2) {
                t->result = r >= R_PASS && r <= R_UNSUP ? r : R_FAIL;
                t->secs = secs;
                snprintf(t->reason, sizeof t->reason, "%s", line + 1 + off);
                got = 1;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!got) {
        t->result = R_FAIL;
        if (WIFSIGNALED(status))
            snprintf(t->reason, sizeof t->reason, "%s (signal %d)",
                     WTERMSIG(status) == SIGALRM ? "timed out" : "crashed", WTERMSIG(status));
        else
            snprintf(t->reason, sizeof t->reason, "worker exited with status %d", WEXITSTATUS(status));
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

typedef struct OpRow {
    char name[64];
    int n[4];
} OpRow;

static int cmp_row(const void *a, const void *b) { return strcmp(((const OpRow *)a)->name, ((const OpRow *)b)->name); }

static int write_markdown(const char *path, Test *t, int n, const int *count)
{
    DlaOutFile o;
    if (dla_out_open(&o, path, NULL))
        return -1;
    FILE *f = o.f;
    OpRow *rows = NULL;
    size_t nr = 0, cap = 0;
    for (int i = 0; i < n; i++) {
        char ops[256];
        snprintf(ops, sizeof ops, "%s", t[i].ops[0] ? t[i].ops : "(model not loadable)");
        for (char *tok = strtok(ops, ","); tok; tok = strtok(NULL, ",")) {
            size_t j = 0;
            while (j < nr && strcmp(rows[j].name, tok))
                j++;
            if (j == nr) {
                rows = dla_grow(rows, sizeof *rows, nr + 1, &cap);
                memset(&rows[nr], 0, sizeof rows[nr]);
                snprintf(rows[nr].name, sizeof rows[nr].name, "%s", tok);
                nr++;
            }
            rows[j].n[t[i].result]++;
        }
    }
    qsort(rows, nr, sizeof *rows, cmp_row);
    fprintf(f, "# ONNX node-test conformance of the host backend\n\n"
               "Generated by `dlacc conformance --markdown docs/conformance.md` (do not edit by hand).\n"
               "Each test runs through the frontend, shape inference and the LLVM host backend (JIT),\n"
               "and its outputs are compared with rtol %g, atol %g.\n\n"
               "**%d passed, %d failed, %d skipped** (unsupported) of %d tests.\n\n"
               "A test counts under every op type its model uses.\n\n"
               "| op | tests | passed | failed | unsupported |\n|---|---:|---:|---:|---:|\n",
            CONF_RTOL, CONF_ATOL, count[R_PASS], count[R_FAIL], count[R_UNSUP], n);
    for (size_t j = 0; j < nr; j++)
        fprintf(f, "| %s | %d | %d | %d | %d |\n", rows[j].name, rows[j].n[1] + rows[j].n[2] + rows[j].n[3], rows[j].n[1],
                rows[j].n[2], rows[j].n[3]);
    fprintf(f, "\n## Tests that do not pass\n\n| test | result | reason |\n|---|---|---|\n");
    for (int i = 0; i < n; i++)
        if (t[i].result != R_PASS) {
            fprintf(f, "| %s | %s | ", t[i].name, rname[t[i].result]);
            for (const char *p = t[i].reason; *p && p - t[i].reason < 200; p++)
                fputs(*p == '|' ? "\\|" : (char[2]){*p, 0}, f);
            fprintf(f, " |\n");
        }
    free(rows);
    return dla_out_close(&o, 1, NULL) == DLA_OK ? 0 : -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc conformance [DIR] [-j N] [-k SUBSTRING] [--every N] [--timeout S] [-O0..3]\n"
               "                         [--json FILE] [--markdown FILE] [--expect LIST] [--write-passing FILE]\n"
               "  Runs every ONNX node test under DIR (default %s) through the host\n"
               "  backend. -k keeps tests whose name contains SUBSTRING; --every N runs every Nth test\n"
               "  (a deterministic subset, for slow sanitizer builds). --expect LIST: exit 1 if a test\n"
               "  listed there does not pass (a regression).\n",
            "/usr/share/libonnx-testdata/data/node");
}

int cmd_conformance(int argc, char **argv)
{
    const char *root = "/usr/share/libonnx-testdata/data/node", *filter = NULL, *json = NULL, *md = NULL,
               *expect = NULL, *wpass = NULL;
    int jobs = 1, opt = 1, timeout = 120, every = 1, verbose = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-j") && i + 1 < argc) {
            jobs = atoi(argv[++i]);
        } else if (!strncmp(a, "-j", 2) && a[2]) {
            jobs = atoi(a + 2);
        } else if (!strcmp(a, "-k") && i + 1 < argc) {
            filter = argv[++i];
        } else if (!strcmp(a, "--every") && i + 1 < argc) {
            every = atoi(argv[++i]);
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            timeout = atoi(argv[++i]);
        } else if (!strcmp(a, "--json") && i + 1 < argc) {
            json = argv[++i];
        } else if (!strcmp(a, "--markdown") && i + 1 < argc) {
            md = argv[++i];
        } else if (!strcmp(a, "--expect") && i + 1 < argc) {
            expect = argv[++i];
        } else if (!strcmp(a, "--write-passing") && i + 1 < argc) {
            wpass = argv[++i];
        } else if (!strcmp(a, "-q")) {
            verbose = 0;
        } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
            opt = a[2] - '0';
        } else if (a[0] != '-') {
            root = a;
        } else {
            fprintf(stderr, "dlacc conformance: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (jobs < 1 || jobs > 64 || every < 1 || timeout < 1) {
        fprintf(stderr, "dlacc conformance: bad -j/--every/--timeout value\n");
        return 2;
    }
    DIR *d = opendir(root);
    if (!d) {
        fprintf(stderr, "dlacc conformance: cannot open %s: %s\n", root, strerror(errno));
        return 2;
    }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s/model.onnx", root, e->d_name);
        if (!exists(p))
            continue;
        names = dla_grow(names, sizeof *names, nn + 1, &cap);
        names[nn++] = dla_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_str);
    Test *t = dla_calloc(nn ? nn : 1, sizeof *t);
    int n = 0;
    for (size_t i = 0; i < nn; i++) {
        if ((filter && !strstr(names[i], filter)) || (i % (size_t)every)) {
            free(names[i]);
            continue;
        }
        t[n].name = names[i];
        t[n].fd = -1;
        n++;
    }
    free(names);
    if (is_dir(root) && n == 0)
        fprintf(stderr, "dlacc conformance: no tests under %s\n", root);
    host_llvm_init(); /* once, inherited by the workers */
    int next = 0, running = 0, printed = 0, count[4] = {0};
    while (next < n || running) {
        while (running < jobs && next < n) {
            spawn(&t[next], root, opt, timeout);
            if (t[next].pid > 0)
                running++;
            next++;
        }
        if (running) {
            int status;
            pid_t pid = wait(&status);
            if (pid < 0)
                break;
            for (int i = 0; i < next; i++)
                if (t[i].pid == pid) {
                    collect(&t[i], status);
                    t[i].pid = 0;
                    running--;
                }
        }
        while (printed < next && t[printed].result != R_PENDING && t[printed].pid == 0) {
            Test *x = &t[printed++];
            count[x->result]++;
            if (verbose || x->result == R_FAIL) {
                if (x->result == R_PASS)
                    printf("PASS %s\n", x->name);
                else
                    printf("%s %s: %s\n", rname[x->result], x->name, x->reason);
                fflush(stdout);
            }
        }
    }
    int rc = 0;
    if (expect) {
        FILE *f = fopen(expect, "r");
        if (!f) {
            fprintf(stderr, "dlacc conformance: cannot read %s\n", expect);
            rc = 2;
        } else {
            char line[512];
            int reg = 0, listed = 0;
            char *inlist = dla_calloc((size_t)(n ? n : 1), 1);
            while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\r\n")] = 0;
                if (!line[0] || line[0] == '#')
                    continue;
                for (int i = 0; i < n; i++)
                    if (!strcmp(t[i].name, line)) {
                        inlist[i] = 1;
                        listed++;
                        if (t[i].result != R_PASS) {
                            printf("REGRESSION %s: %s %s\n", t[i].name, rname[t[i].result], t[i].reason);
                            reg++;
                        }
                    }
            }
            fclose(f);
            int newp = 0;
            for (int i = 0; i < n; i++)
                if (t[i].result == R_PASS && !inlist[i]) {
                    printf("NEW PASS %s\n", t[i].name);
                    newp++;
                }
            free(inlist);
            printf("expectation %s: %d listed tests run, %d regressions, %d newly passing\n", expect, listed, reg, newp);
            if (reg)
                rc = 1;
        }
    }
    if (json) {
        DlaOutFile o;
        if (dla_out_open(&o, json, NULL)) {
            fprintf(stderr, "dlacc conformance: cannot write %s\n", json);
            rc = 2;
        } else {
            FILE *f = o.f;
            fprintf(f, "{\"passed\": %d, \"failed\": %d, \"skipped\": %d, \"tests\": [\n", count[R_PASS], count[R_FAIL],
                    count[R_UNSUP]);
            for (int i = 0; i < n; i++) {
                fprintf(f, "  {\"name\": ");
                json_str(f, t[i].name);
                fprintf(f, ", \"result\": \"%s\", \"seconds\": %.4f, \"ops\": ", rname[t[i].result], t[i].secs);
                json_str(f, t[i].ops);
                fprintf(f, ", \"reason\": ");
                json_str(f, t[i].reason);
                fprintf(f, "}%s\n", i + 1 < n ? "," : "");
            }
            fprintf(f, "]}\n");
            if (dla_out_close(&o, 1, NULL)) {
                fprintf(stderr, "dlacc conformance: error writing %s\n", json);
                rc = 2;
            }
        }
    }
    if (md && write_markdown(md, t, n, count)) {
        fprintf(stderr, "dlacc conformance: cannot write %s\n", md);
        rc = 2;
    }
    if (wpass) {
        DlaOutFile o;
        if (dla_out_open(&o, wpass, NULL)) {
            fprintf(stderr, "dlacc conformance: cannot write %s\n", wpass);
            rc = 2;
        } else {
            FILE *f = o.f;
            fprintf(f, "# ONNX node tests that pass through the host backend (dlacc conformance --write-passing)\n");
            for (int i = 0; i < n; i++)
                if (t[i].result == R_PASS)
                    fprintf(f, "%s\n", t[i].name);
            if (dla_out_close(&o, 1, NULL)) {
                fprintf(stderr, "dlacc conformance: error writing %s\n", wpass);
                rc = 2;
            }
        }
    }
    printf("%d passed, %d failed, %d skipped\n", count[R_PASS], count[R_FAIL], count[R_UNSUP]);
    for (int i = 0; i < n; i++)
        free(t[i].name);
    free(t);
    return rc;
}
