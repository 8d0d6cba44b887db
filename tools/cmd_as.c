/* cmd_as.c - `dlacc as FILE.s -o FILE.dla [--target NAME|FILE]`: assemble
 * DLA assembly (docs/isa.md, "Assembly") into a .dla container.
 *
 * Instructions go to the assembler of isa/asm.c. The container-level
 * directives (.dram, .consts, .tensor, .layer, .endlayer, .segment, .endsegment:
 * docs/dla-format.md, "Assembly
 * directives") are handled here and blanked out before the text reaches the
 * assembler, so line numbers in its errors stay right. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dla_file.h"
#include "dla_mem.h"
#include "ir.h"
#include "isa/dla_format.h"
#include "isa/isa.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dlacc as FILE.s [-o OUT.dla] [--target NAME|FILE.xml]\n\n"
               "Assemble DLA assembly into a .dla program for a target (default dla-edge).\n"
               "Besides instructions (docs/isa.md) the text may hold the directives that\n"
               "`dlacc objdump` prints (docs/dla-format.md):\n"
               "  .dram BYTES                       DRAM the program uses\n"
               "  .consts \"FILE\"                   constant DRAM image (binary; relative to the .s)\n"
               "  .tensor \"NAME\" role=input|output|intermediate dtype=int8 layout=rowmajor\n"
               "          shape=[1,3,32,32] scale=0.5 zp=0 offset=0x1000 bytes=3072\n"
               "  .layer \"NAME\" \"OP\" [macs=N]      the following instructions implement layer NAME\n"
               "  .layer \"NAME\" \"OP\" empty         a layer without instructions (here)\n"
               "  .endlayer                         end the current layer\n"
               "  .segment dla|host|boundary [tensors=[I,J,...]]\n"
               "                                    a segment starts at the next instruction\n"
               "  .endsegment                       end the current segment\n\n"
               "  -o FILE          output (default: FILE.s with .dla for .s)\n"
               "  --target T       shipped target name or XML file (default dla-edge)\n"
               "  -h, --help       this text\n");
}

typedef struct As {
    const char *path;
    int line;
    DlaError *err;
    DlaProgram *p;
    size_t tcap, lcap, scap;
    int have_dram, have_consts;
    int64_t open_layer; /* index of the layer the next instruction joins, -1: none */
    int64_t open_seg;   /* index of the segment the next instruction joins, -1: none */
} As;

static DlaStatus as_err(As *a, const char *fmt, const char *arg)
{
    char m[600];
    snprintf(m, sizeof m, fmt, arg);
    return dla_errorf(a->err, DLA_ERR_FORMAT, "%s:%d: %s", a->path, a->line, m);
}

/* Next token of a directive line: a "quoted string" (with \" and \\) or a run
 * of non-blanks; NULL at the end of the line or at a comment. The token is
 * copied into tok (n bytes). Sets *bad on an unterminated or too long token. */
static const char *next_tok(const char *s, char *tok, size_t n, int *bad)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    if (!*s || *s == '#' || *s == ';')
        return NULL;
    size_t k = 0;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            if (k + 1 >= n)
                return *bad = 1, NULL;
            tok[k++] = *s;
        }
        if (*s != '"')
            return *bad = 1, NULL;
        s++;
    } else {
        for (; *s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#' && *s != ';'; s++) {
            if (k + 1 >= n)
                return *bad = 1, NULL;
            tok[k++] = *s;
        }
    }
    tok[k] = 0;
    return s;
}

static int parse_u64(const char *s, uint64_t *v)
{
    *v = 0; /* defined on failure too: callers store it before checking */
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return 0;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end)
        return 0;
    *v = x;
    return 1;
}

static int parse_i64(const char *s, int64_t *v)
{
    *v = 0; /* defined on failure too: callers store it before checking */
    char *end;
    if (!*s)
        return 0;
    errno = 0;
    long long x = strtoll(s, &end, 0);
    if (errno || *end)
        return 0;
    *v = x;
    return 1;
}

static DlaStatus dir_tensor(As *a, const char *s)
{
    char tok[DLA_FORMAT_NAME_MAX + 16];
    int bad = 0;
    DlaProgram *p = a->p;
    if (!(s = next_tok(s, tok, sizeof tok, &bad)))
        return as_err(a, ".tensor needs a name%s", bad ? " (unterminated or too long)" : "");
    DlaTensorDesc d = {0};
    int have[8] = {0}; /* role dtype shape offset bytes */
    d.name = dla_strdup(tok);
    DlaStatus st = DLA_OK;
    while (!st && (s = next_tok(s, tok, sizeof tok, &bad))) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            st = as_err(a, ".tensor: expected key=value, got '%.100s'", tok);
            break;
        }
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        uint64_t u = 0; /* gcc -O3 cannot see that parse_u64 sets it on success */
        int64_t iv = 0;
        if (!strcmp(k, "role")) {
            if (!dla_tensor_role_from_name(v, &d.role))
                st = as_err(a, ".tensor: unknown role '%.60s' (input, output, intermediate)", v);
            have[0] = 1;
        } else if (!strcmp(k, "dtype")) {
            IrDtype dt;
            if (!ir_dtype_from_name(v, &dt))
                st = as_err(a, ".tensor: unknown dtype '%.60s'", v);
            d.dtype = (uint32_t)dt;
            have[1] = 1;
        } else if (!strcmp(k, "layout")) {
            if (!dla_layout_from_name(v, &d.layout))
                st = as_err(a, ".tensor: unknown layout '%.60s' (rowmajor, nhwc, nchwc)", v);
        } else if (!strcmp(k, "shape")) {
            size_t l = strlen(v);
            if (l < 2 || v[0] != '[' || v[l - 1] != ']') {
                st = as_err(a, ".tensor: shape '%.100s' is not [D0,D1,...]", v);
                break;
            }
            char dims[256];
            snprintf(dims, sizeof dims, "%.*s", (int)(l - 2), v + 1);
            char *save = NULL;
            for (char *t = strtok_r(dims, ",", &save); t && !st; t = strtok_r(NULL, ",", &save)) {
                if (d.rank >= 8 || !parse_i64(t, &iv) || iv < 0)
                    st = as_err(a, ".tensor: bad shape '%.100s' (at most 8 dims >= 0)", v);
                else
                    d.dims[d.rank++] = iv;
            }
            have[2] = 1;
        } else if (!strcmp(k, "scale")) {
            char *end;
            d.scale = strtof(v, &end);
            if (!*v || *end)
                st = as_err(a, ".tensor: scale '%.60s' is not a number", v);
        } else if (!strcmp(k, "zp")) {
            if (!parse_i64(v, &iv) || iv < INT32_MIN || iv > INT32_MAX)
                st = as_err(a, ".tensor: zero point '%.60s' is not a 32-bit integer", v);
            d.zero_point = (int32_t)iv;
        } else if (!strcmp(k, "offset")) {
            if (!parse_u64(v, &d.dram_offset))
                st = as_err(a, ".tensor: offset '%.60s' is not a number", v);
            have[3] = 1;
        } else if (!strcmp(k, "bytes")) {
            if (!parse_u64(v, &u))
                st = as_err(a, ".tensor: bytes '%.60s' is not a number", v);
            d.nbytes = u;
            have[4] = 1;
        } else {
            st = as_err(a, ".tensor: unknown key '%.60s' (role dtype layout shape scale zp offset bytes)", k);
        }
    }
    static const char *const req[] = {"role", "dtype", "shape", "offset", "bytes"};
    for (int i = 0; i < 5 && !st; i++)
        if (!have[i])
            st = as_err(a, ".tensor lacks %s=", req[i]);
    if (!st && bad)
        st = as_err(a, ".tensor: %s", "unterminated or too long token");
    if (st) {
        free(d.name);
        return st;
    }
    if (p->ntensors == UINT32_MAX / 2)
        return as_err(a, "%s", "too many tensors");
    p->tensors = dla_grow(p->tensors, sizeof *p->tensors, p->ntensors + 1, &a->tcap);
    p->tensors[p->ntensors++] = d;
    return DLA_OK;
}

static void close_layer(As *a)
{
    if (a->open_layer >= 0) {
        DlaLayerMap *l = &a->p->layers[a->open_layer];
        l->ninsns = a->p->ninsns - l->first_insn;
        a->open_layer = -1;
    }
}

static DlaStatus dir_layer(As *a, const char *s)
{
    char name[DLA_FORMAT_NAME_MAX + 16], op[DLA_FORMAT_NAME_MAX + 16], tok[128];
    int bad = 0;
    if (!(s = next_tok(s, name, sizeof name, &bad)) || !(s = next_tok(s, op, sizeof op, &bad)))
        return as_err(a, ".layer needs a name and an op type: .layer \"NAME\" \"OP\" [macs=N]%s",
                      bad ? " (unterminated or too long string)" : "");
    uint64_t macs = 0;
    int empty = 0;
    while ((s = next_tok(s, tok, sizeof tok, &bad))) {
        if (!strcmp(tok, "empty"))
            empty = 1;
        else if (strncmp(tok, "macs=", 5) || !parse_u64(tok + 5, &macs))
            return as_err(a, ".layer: expected macs=N or empty, got '%.100s'", tok);
    }
    if (bad)
        return as_err(a, ".layer: %s", "unterminated or too long token");
    if (!empty)
        close_layer(a);
    DlaProgram *p = a->p;
    if (p->nlayers == UINT32_MAX / 2)
        return as_err(a, "%s", "too many layers");
    p->layers = dla_grow(p->layers, sizeof *p->layers, p->nlayers + 1, &a->lcap);
    p->layers[p->nlayers++] = (DlaLayerMap){dla_strdup(name), dla_strdup(op), p->ninsns, 0, macs};
    if (!empty) /* an empty layer has no instructions and leaves the open layer open */
        a->open_layer = p->nlayers - 1;
    return DLA_OK;
}

static void close_segment(As *a)
{
    if (a->open_seg >= 0) {
        DlaSegmentDesc *g = &a->p->segments[a->open_seg];
        g->ninsns = a->p->ninsns - g->first_insn;
        a->open_seg = -1;
    }
}

/* .segment KIND [tensors=[I,J,...]]: ends the open segment, starts one at the
 * next instruction (a host or boundary segment must be followed by another
 * .segment or .endsegment before any instruction: the validator says so). */
static DlaStatus dir_segment(As *a, const char *s)
{
    char kind[32], tok[DLA_FORMAT_NAME_MAX];
    int bad = 0;
    uint32_t k;
    if (!(s = next_tok(s, kind, sizeof kind, &bad)) || !dla_seg_kind_from_name(kind, &k))
        return as_err(a, ".segment needs a kind (dla, host or boundary)%s", bad ? " (unterminated or too long)" : "");
    DlaSegmentDesc g = {k, a->p->ninsns, 0, NULL, 0};
    size_t cap = 0;
    DlaStatus st = DLA_OK;
    while (!st && (s = next_tok(s, tok, sizeof tok, &bad))) {
        size_t l = strlen(tok);
        if (strncmp(tok, "tensors=[", 9) || tok[l - 1] != ']') { /* may repeat: the lists are joined */
            st = as_err(a, ".segment: expected tensors=[I,J,...], got '%.100s'", tok);
            break;
        }
        tok[l - 1] = 0;
        char *save = NULL;
        uint64_t v;
        for (char *t = strtok_r(tok + 9, ",", &save); t && !st; t = strtok_r(NULL, ",", &save)) {
            if (!parse_u64(t, &v) || v > UINT32_MAX)
                st = as_err(a, ".segment: tensor index '%.60s' is not a 32-bit number", t);
            else if (g.ntensors == UINT32_MAX / 8)
                st = as_err(a, "%s", ".segment: too many tensors");
            else {
                g.tensors = dla_grow(g.tensors, sizeof *g.tensors, g.ntensors + 1, &cap);
                g.tensors[g.ntensors++] = (uint32_t)v;
            }
        }
        if (!g.tensors) /* tensors=[]: an empty list, given */
            g.tensors = dla_malloc(sizeof *g.tensors);
    }
    if (!st && bad)
        st = as_err(a, ".segment: %s", "unterminated or too long token");
    if (!st && a->p->nsegments == UINT32_MAX / 2)
        st = as_err(a, "%s", "too many segments");
    if (st) {
        free(g.tensors);
        return st;
    }
    close_segment(a);
    DlaProgram *p = a->p;
    p->segments = dla_grow(p->segments, sizeof *p->segments, p->nsegments + 1, &a->scap);
    p->segments[p->nsegments++] = g;
    a->open_seg = p->nsegments - 1;
    return DLA_OK;
}

/* Handle the container directives of one line; *was_dir tells whether it was one. */
static DlaStatus directive(As *a, const char *line, int *was_dir)
{
    char word[32];
    int bad = 0;
    *was_dir = 0;
    const char *s = next_tok(line, word, sizeof word, &bad);
    if (!s || word[0] != '.')
        return DLA_OK;
    if (!strcmp(word, ".tensor")) {
        *was_dir = 1;
        return dir_tensor(a, s);
    }
    if (!strcmp(word, ".layer")) {
        *was_dir = 1;
        return dir_layer(a, s);
    }
    if (!strcmp(word, ".endlayer")) {
        *was_dir = 1;
        if (a->open_layer < 0)
            return as_err(a, "%s", ".endlayer without .layer");
        if (next_tok(s, word, sizeof word, &bad) || bad)
            return as_err(a, "%s", ".endlayer takes no operands");
        close_layer(a);
        return DLA_OK;
    }
    if (!strcmp(word, ".segment")) {
        *was_dir = 1;
        return dir_segment(a, s);
    }
    if (!strcmp(word, ".endsegment")) {
        *was_dir = 1;
        if (a->open_seg < 0)
            return as_err(a, "%s", ".endsegment without .segment");
        if (next_tok(s, word, sizeof word, &bad) || bad)
            return as_err(a, "%s", ".endsegment takes no operands");
        close_segment(a);
        return DLA_OK;
    }
    if (!strcmp(word, ".consts")) {
        char file[1024];
        *was_dir = 1;
        if (a->have_consts)
            return as_err(a, "%s", ".consts given twice");
        if (!(s = next_tok(s, file, sizeof file, &bad)) || next_tok(s, word, sizeof word, &bad) || bad)
            return as_err(a, "%s", ".consts needs one file name");
        /* Relative to the assembly file, so that objdump output works from anywhere. */
        char *dir = dla_path_dirname(a->path);
        char *path = file[0] == '/' ? dla_strdup(file) : dla_path_join(dir, file);
        free(dir);
        char *data;
        size_t n;
        DlaError e = {0};
        DlaStatus st = dla_file_read(path, &data, &n, &e);
        free(path);
        if (st)
            return dla_errorf(a->err, st, "%s:%d: .consts: %s", a->path, a->line, e.msg);
        a->p->consts = (uint8_t *)data;
        a->p->const_bytes = n;
        a->have_consts = 1;
        return DLA_OK;
    }
    if (!strcmp(word, ".dram")) {
        char tok[64];
        *was_dir = 1;
        if (a->have_dram)
            return as_err(a, "%s", ".dram given twice");
        if (!(s = next_tok(s, tok, sizeof tok, &bad)) || !parse_u64(tok, &a->p->dram_bytes_used) ||
            next_tok(s, tok, sizeof tok, &bad))
            return as_err(a, "%s", ".dram needs one number of bytes");
        a->have_dram = 1;
        return DLA_OK;
    }
    return DLA_OK; /* .insn and anything else: the assembler's */
}

/* Does the line hold an instruction (anything but blanks before a comment)? */
static int is_insn_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i] != '#' && s[i] != ';'; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != ',') /* the assembler's separators */
            return 1;
    return 0;
}

static DlaStatus assemble(const char *path, char *text, size_t len, DlaProgram *p, DlaError *err)
{
    As a = {path, 0, err, p, 0, 0, 0, 0, 0, -1, -1};
    /* Pass 1: directives (blanked out in place) and the instruction index of each line. */
    uint32_t count = 0;
    char buf[DLA_FORMAT_NAME_MAX * 2 + 512];
    for (size_t pos = 0; pos < len;) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        a.line++;
        size_t ll = end - pos;
        int was_dir = 0;
        if (ll < sizeof buf && !memchr(text + pos, 0, ll)) {
            memcpy(buf, text + pos, ll);
            buf[ll] = 0;
            p->ninsns = count; /* .layer and .segment start at the next instruction */
            DlaStatus st = directive(&a, buf, &was_dir);
            if (st)
                return st;
        }
        if (was_dir)
            memset(text + pos, ' ', ll);
        else if (is_insn_line(text + pos, ll))
            count++;
        pos = end + 1;
    }
    p->ninsns = count;
    close_layer(&a);
    close_segment(&a);
    /* Pass 2: the instructions. */
    uint32_t *code, n;
    DlaStatus st = dla_asm_parse(text, len, path, &code, &n, err);
    if (st)
        return st;
    p->code = code;
    p->ninsns = n;
    if (n != count) /* is_insn_line must agree with the assembler, or layer ranges would be off */
        return dla_errorf(err, DLA_ERR_FORMAT, "%s: cannot place .layer directives: %u instruction lines "
                          "counted, %u assembled", path, count, n);
    if (!a.have_dram) {
        p->dram_bytes_used = p->const_bytes;
        for (uint32_t i = 0; i < p->ntensors; i++) /* default: just enough for the tensors */
            if (p->tensors[i].dram_offset + p->tensors[i].nbytes > p->dram_bytes_used)
                p->dram_bytes_used = p->tensors[i].dram_offset + p->tensors[i].nbytes;
    }
    return DLA_OK;
}

static char *default_output(const char *in)
{
    size_t l = strlen(in);
    char *o = dla_malloc(l + 5);
    memcpy(o, in, l + 1);
    if (l > 2 && !strcmp(in + l - 2, ".s"))
        o[l - 2] = 0;
    strcat(o, ".dla");
    return o;
}

int cmd_as(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *target = "dla-edge";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--target")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "dlacc as: %s needs an argument\n", a);
                return 2;
            }
            *(a[1] == 'o' ? &out : &target) = argv[++i];
        } else if (!strncmp(a, "--target=", 9)) {
            target = a + 9;
        } else if (cli_input_arg("as", a, &in, usage)) {
            return 2;
        }
    }
    if (!in) {
        usage(stderr);
        return 2;
    }
    DlaError err = {0};
    DlaProgram p = {0};
    char *text = NULL, *outpath = out ? dla_strdup(out) : default_output(in);
    size_t len;
    if (!cli_output_ok("as", outpath, &in, 1, NULL)) {
        free(outpath);
        return 2;
    }
    DlaStatus st = dla_target_load(target, &p.target, &err);
    if (!st)
        st = dla_file_read(in, &text, &len, &err);
    if (!st)
        st = assemble(in, text, len, &p, &err);
    if (!st)
        st = dla_program_write(&p, outpath, &err);
    if (st)
        cli_report(&err);
    free(text);
    free(outpath);
    dla_program_free(&p);
    return cli_exit_code(st);
}
