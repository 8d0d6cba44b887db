/* cli_common.c - option parsing and output helpers shared by the dlacc
 * subcommands (declared in cli.h). */
#include "cli.h"

#include "dla_file.h"

#include <stdlib.h>
#include <string.h>

int cli_output_ok(const char *cmd, const char *out, const char *const *inputs, int n, const IrGraph *g)
{
    if (!out || !strcmp(out, "-"))
        return 1;
    for (int i = 0; i < n; i++)
        if (inputs[i] && dla_path_same_file(out, inputs[i])) {
            fprintf(stderr, "dlacc %s: output '%s' is the input '%s': refusing to overwrite it\n", cmd, out,
                    inputs[i]);
            return 0;
        }
    if (g && g->source_path && dla_path_same_file(out, g->source_path)) {
        fprintf(stderr, "dlacc %s: output '%s' is the model '%s': refusing to overwrite it\n", cmd, out,
                g->source_path);
        return 0;
    }
    if (g && ir_graph_maps_file(g, out)) {
        fprintf(stderr, "dlacc %s: output '%s' is the model's external data: refusing to overwrite it\n", cmd, out);
        return 0;
    }
    return 1;
}

int cli_outputs_ok(const char *cmd, const char *const *outs, int nouts, const char *const *inputs, int n,
                   const IrGraph *g)
{
    for (int i = 0; i < nouts; i++)
        if (!cli_output_ok(cmd, outs[i], inputs, n, g))
            return 0;
    return 1;
}

DlaStatus cli_print_ir(const char *cmd, const IrGraph *g, const char *path, const IrPrintOptions *opt)
{
    if (!cli_output_ok(cmd, path, NULL, 0, g))
        return DLA_ERR_IO; /* an output problem: exit status 2 */
    DlaOutFile o;
    DlaStatus st = dla_out_open(&o, path, NULL);
    if (st)
        return st;
    st = ir_print(g, o.f, opt);
    DlaStatus cs = dla_out_close(&o, st == DLA_OK, NULL);
    return st ? st : cs;
}

int cli_input_arg(const char *cmd, const char *a, const char **in, void (*usage)(FILE *))
{
    if (a[0] == '-' && a[1]) {
        if (usage) {
            fprintf(stderr, "dlacc %s: unknown option '%s'\n", cmd, a);
            usage(stderr);
        } else {
            fprintf(stderr, "dlacc %s: unknown option '%s' (try dlacc %s --help)\n", cmd, a, cmd);
        }
        return 2;
    }
    if (*in) {
        fprintf(stderr, "dlacc %s: more than one input file\n", cmd);
        return 2;
    }
    *in = a;
    return 0;
}

int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != 0)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "dlacc: option %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int cli_opt_strings(int argc, char **argv, int *i, const CliStrOpt *opts, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int m = cli_opt_value(argc, argv, i, opts[k].name, opts[k].dst);
        if (m != 0)
            return m;
    }
    return 0;
}

DlaStatus cli_shapes_add(CliShapes *s, const char *arg, DlaError *err)
{
    OnnxInputShape sh;
    DlaStatus st = onnx_parse_input_shape(arg, &sh, err);
    if (st != DLA_OK)
        return st;
    size_t len = sh.name_len ? sh.name_len : strlen(sh.name);
    for (size_t i = 0; i < s->n; i++) {
        const OnnxInputShape *o = &s->items[i];
        size_t olen = o->name_len ? o->name_len : strlen(o->name);
        if (olen == len && !memcmp(o->name, sh.name, len))
            return dla_errorf(err, DLA_ERR_INVALID, "--input-shape given twice for input '%.*s'", (int)len,
                              sh.name);
    }
    s->items = dla_grow(s->items, sizeof *s->items, s->n + 1, &s->cap);
    s->items[s->n++] = sh;
    return DLA_OK;
}

OnnxLoadOptions cli_shapes_options(const CliShapes *s)
{
    OnnxLoadOptions o = {s->items, (int32_t)s->n};
    return o;
}

void cli_shapes_free(CliShapes *s)
{
    free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 2 && p[0] < 0xc2)
        return 0; /* overlong */
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

void cli_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('"', f);
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            p++;
        } else if (c == '\n') {
            fputs("\\n", f);
            p++;
        } else if (c == '\t') {
            fputs("\\t", f);
            p++;
        } else if (c == '\r') {
            fputs("\\r", f);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            fputc(c, f);
            p++;
        } else {
            int n = utf8_len(p);
            if (n == 0) {
                fprintf(f, "\\u%04x", c); /* stray byte: keep it visible, keep the JSON valid */
                p++;
            } else {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            }
        }
    }
    fputc('"', f);
}
