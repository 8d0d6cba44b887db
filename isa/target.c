/* target.c - reading and validating target descriptions (targets/NAME.xml).
 *
 * The schema is generated from isa/target.def and documented in
 * docs/dla-format.md ("Target descriptions"). The reader is strict: anything it
 * does not know is an error, never silently ignored, because a typo in a
 * target file would otherwise quietly change every performance figure.
 * Every error names file:line. libxml2 never prints: its errors are caught by
 * a structured handler on our own parser context and reported through DlaError. */
#include "target.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>

#include "dla_file.h"
#include "dla_mem.h"

enum { TF_POW2 = 1, TF_BYTES = 2, TF_OPTIONAL = 4 };

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }

typedef struct TargetField {
    const char *field, *elem, *sel, *attr;
    uint64_t min, max;
    unsigned flags;
    const char *desc;
    size_t off, size;
} TargetField;

static const TargetField tfields[DLA_TARGET_NFIELDS] = {
#define TF(f, e, s, a, lo, hi, fl, d) {#f, e, s, a, lo, hi, fl, d, offsetof(DlaTarget, f), sizeof(((DlaTarget *)0)->f)},
#include "target.def"
#undef TF
};

const char *dla_target_field_name(int i) { return tfields[i].field; }
const char *dla_target_field_desc(int i) { return tfields[i].desc; }

const char *dla_target_field_xml(int i, char *buf, size_t n)
{
    const TargetField *f = &tfields[i];
    if (f->sel[0])
        snprintf(buf, n, "<%s name=\"%s\" %s>", f->elem, f->sel, f->attr);
    else
        snprintf(buf, n, "<%s %s>", f->elem, f->attr);
    return buf;
}

uint64_t dla_target_field_get(const DlaTarget *t, int i)
{
    const unsigned char *p = (const unsigned char *)t + tfields[i].off;
    if (tfields[i].size == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

void dla_target_field_set(DlaTarget *t, int i, uint64_t v)
{
    unsigned char *p = (unsigned char *)t + tfields[i].off;
    DLA_ASSERT(tfields[i].size == 8 || tfields[i].max <= UINT32_MAX); /* target.def ranges fit the member */
    if (tfields[i].size == 4) {
        uint32_t w = (uint32_t)v;
        memcpy(p, &w, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

/* FNV-1a, 64-bit (Fowler/Noll/Vo): simple, stable across platforms. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The hash covers a canonical byte string, not the struct (padding, width and
 * member order must not matter): "dla-target-v1\0" name "\0", then per row of
 * target.def: field name "\0" and the value as 8 little-endian bytes. */
uint64_t dla_target_fingerprint(const DlaTarget *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, "dla-target-v1", 14);
    size_t nl = strnlen(t->name, sizeof t->name);
    h = fnv1a(h, t->name, nl);
    h = fnv1a(h, "", 1);
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        unsigned char le[8];
        uint64_t v = dla_target_field_get(t, i);
        for (int k = 0; k < 8; k++)
            le[k] = (unsigned char)(v >> (8 * k));
        h = fnv1a(h, tfields[i].field, strlen(tfields[i].field) + 1);
        h = fnv1a(h, le, 8);
    }
    return h;
}

static int is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

static int name_ok(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    if (n == 0 || n >= max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

/* Validation shared by the XML reader (which passes per-field locations) and
 * the .dla reader (which passes none). `where[i]` prefixes errors about field i,
 * `where_name` errors about the name. */
static DlaStatus validate(const DlaTarget *t, DlaError *err, const char *const *where, const char *where_name)
{
    if (!name_ok(t->name, sizeof t->name))
        return dla_errorf(err, DLA_ERR_INVALID,
                          "%starget name must be 1-%zu characters of [A-Za-z0-9._-]",
                          where_name, sizeof t->name - 1);
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        const TargetField *f = &tfields[i];
        uint64_t v = dla_target_field_get(t, i);
        char x[96];
        dla_target_field_xml(i, x, sizeof x);
        const char *w = where ? where[i] : "";
        if ((f->flags & TF_OPTIONAL) && v == 0)
            continue;
        if (v < f->min || v > f->max)
            return dla_errorf(err, DLA_ERR_INVALID,
                              "%s%s (%s) = %llu is out of range [%llu, %llu]", w, x, f->desc,
                              (unsigned long long)v, (unsigned long long)f->min,
                              (unsigned long long)f->max);
        if ((f->flags & TF_POW2) && !is_pow2(v))
            return dla_errorf(err, DLA_ERR_INVALID, "%s%s (%s) = %llu must be a power of two", w, x,
                              f->desc, (unsigned long long)v);
    }
    /* Cross checks: the smallest unit of work, one GEMM tile, must fit. */
    const char *w = where ? where[DLA_TF_wgt_sram_bytes] : "";
    if (t->wgt_sram_bytes < (uint64_t)t->gemm_rows * t->gemm_cols)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "%sweight SRAM (%llu bytes) cannot hold one %ux%u int8 weight tile", w,
                          (unsigned long long)t->wgt_sram_bytes, t->gemm_rows, t->gemm_cols);
    w = where ? where[DLA_TF_inp_sram_bytes] : "";
    if (t->inp_sram_bytes < (uint64_t)t->gemm_rows * t->gemm_rows)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "%sinput SRAM (%llu bytes) cannot hold one %ux%u int8 input tile", w,
                          (unsigned long long)t->inp_sram_bytes, t->gemm_rows, t->gemm_rows);
    w = where ? where[DLA_TF_acc_sram_bytes] : "";
    if (t->acc_sram_bytes < (uint64_t)t->gemm_rows * t->gemm_cols * 4)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "%saccumulator SRAM (%llu bytes) cannot hold one %ux%u int32 tile", w,
                          (unsigned long long)t->acc_sram_bytes, t->gemm_rows, t->gemm_cols);
    w = where ? where[DLA_TF_lut_bytes] : "";
    if (t->lut_bytes && t->lut_bytes < 256)
        return dla_errorf(err, DLA_ERR_INVALID,
                          "%slookup-table memory (%llu bytes) cannot hold one 256-entry table", w,
                          (unsigned long long)t->lut_bytes);
    return DLA_OK;
}

DlaStatus dla_target_validate(const DlaTarget *t, DlaError *err)
{
    return validate(t, err, NULL, "");
}

/* ---- XML ---- */

typedef struct XmlErr {
    int set, line;
    char msg[512];
} XmlErr;

/* libxml2 calls this for every error of our context instead of printing. */
static void xml_error_handler(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = data;
    XmlErr *xe = ctxt ? ctxt->_private : NULL;
    if (!xe || !e || xe->set || e->level == XML_ERR_WARNING)
        return;
    xe->set = 1;
    xe->line = e->line;
    snprintf(xe->msg, sizeof xe->msg, "%s", e->message ? e->message : "parse error");
    size_t n = strlen(xe->msg);
    while (n && (xe->msg[n - 1] == '\n' || xe->msg[n - 1] == ' '))
        xe->msg[--n] = 0;
}

/* Parse a number: decimal digits, optional surrounding blanks, and for byte
 * sizes an optional KiB/MiB/GiB/TiB suffix. Returns NULL or a reason. */
static const char *parse_u64(const char *s, unsigned flags, uint64_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return *s ? "is not a number" : "is empty";
    uint64_t v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return "overflows 64 bits";
        v = v * 10 + d;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s) {
        static const struct { const char *sfx; unsigned shift; } units[] = {
            {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}};
        size_t k = 0, nu = sizeof units / sizeof units[0];
        if (!(flags & TF_BYTES))
            return "is not a plain decimal number";
        size_t len = strcspn(s, " \t\r\n");
        const char *rest = s + len;
        while (isspace((unsigned char)*rest))
            rest++;
        for (; k < nu; k++)
            if (strlen(units[k].sfx) == len && !strncmp(s, units[k].sfx, len))
                break;
        if (k == nu || *rest)
            return "has an unknown unit (use a plain number of bytes or KiB, MiB, GiB, TiB)";
        if (v > (UINT64_MAX >> units[k].shift))
            return "overflows 64 bits";
        v <<= units[k].shift;
    }
    *out = v;
    return NULL;
}

/* libxml2 gives a text node the line where it ends; errors should point at its
 * first non-blank character instead. */
static int text_line(xmlNodePtr n)
{
    long line = xmlGetLineNo(n);
    const xmlChar *s = n->content;
    while (s && *s && isspace(*s))
        s++;
    for (; s && *s; s++)
        line -= *s == '\n';
    return (int)line;
}

static int only_space(const xmlChar *s)
{
    for (; s && *s; s++)
        if (!isspace(*s))
            return 0;
    return 1;
}

/* Distinct element names of the table, for "expected ..." lists. */
static void element_list(char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= !strcmp(tfields[j].elem, tfields[i].elem);
        if (dup)
            continue;
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s<%s>", k ? ", " : "", tfields[i].elem);
    }
}

static void selector_list(const char *elem, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        int dup = 0;
        if (strcmp(tfields[i].elem, elem))
            continue;
        for (int j = 0; j < i; j++)
            dup |= !strcmp(tfields[j].elem, elem) && !strcmp(tfields[j].sel, tfields[i].sel);
        if (dup)
            continue;
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", k ? ", " : "", tfields[i].sel);
    }
}

static void attr_list(const char *elem, const char *sel, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++) {
        if (strcmp(tfields[i].elem, elem) || strcmp(tfields[i].sel, sel))
            continue;
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", k ? ", " : "", tfields[i].attr);
    }
}

/* Does `elem` use a selector (name=) in the table? */
static int elem_known(const char *elem, int *has_sel)
{
    for (int i = 0; i < DLA_TARGET_NFIELDS; i++)
        if (!strcmp(tfields[i].elem, elem)) {
            *has_sel = tfields[i].sel[0] != 0;
            return 1;
        }
    return 0;
}

typedef struct Seen {
    const char *elem, *sel; /* table strings */
    int line;
} Seen;

static DlaStatus walk(xmlNodePtr root, const char *path, DlaTarget *out, DlaError *err)
{
    char list[256];
    int rline = (int)xmlGetLineNo(root);
    if (root->ns || strcmp((const char *)root->name, "dla-target"))
        return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: root element is <%s>, expected <dla-target>", path,
                          rline, (const char *)root->name);
    int have_name = 0, have_version = 0;
    for (xmlAttrPtr a = root->properties; a; a = a->next) {
        xmlChar *v = xmlNodeListGetString(root->doc, a->children, 1);
        const char *vs = v ? (const char *)v : "";
        DlaStatus st = DLA_OK;
        if (a->ns) {
            st = dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: unknown attribute '%s:%s' on <dla-target>", path,
                            rline, (const char *)a->ns->prefix, (const char *)a->name);
        } else if (!strcmp((const char *)a->name, "name")) {
            have_name = 1;
            if (strlen(vs) >= sizeof out->name || !name_ok(vs, sizeof out->name))
                st = dla_errorf(err, DLA_ERR_INVALID,
                                "%s:%d: target name \"%.80s\" must be 1-%zu characters of [A-Za-z0-9._-]",
                                path, rline, vs, sizeof out->name - 1);
            else
                snprintf(out->name, sizeof out->name, "%s", vs);
        } else if (!strcmp((const char *)a->name, "version")) {
            have_version = 1;
            if (strcmp(vs, "1"))
                st = dla_errorf(err, DLA_ERR_UNSUPPORTED,
                                "%s:%d: target description version \"%.40s\" is not supported (expected \"1\")",
                                path, rline, vs);
        } else {
            st = dla_errorf(err, DLA_ERR_FORMAT,
                            "%s:%d: unknown attribute '%s' on <dla-target> (expected name, version)", path,
                            rline, (const char *)a->name);
        }
        xmlFree(v);
        if (st)
            return st;
    }
    if (!have_name)
        return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: <dla-target> lacks attribute 'name'", path, rline);
    if (!have_version)
        return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: <dla-target> lacks attribute 'version'", path, rline);

    int fline[DLA_TARGET_NFIELDS] = {0}; /* line that set field i, 0: unset */
    Seen seen[DLA_TARGET_NFIELDS];
    int nseen = 0;
    for (xmlNodePtr n = root->children; n; n = n->next) {
        int line = (int)xmlGetLineNo(n);
        if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
            continue;
        if (n->type == XML_TEXT_NODE) {
            if (!only_space(n->content))
                return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: unexpected text in <dla-target>", path,
                                  text_line(n));
            continue;
        }
        if (n->type != XML_ELEMENT_NODE)
            return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: unexpected content in <dla-target>", path, line);
        const char *en = (const char *)n->name;
        int has_sel = 0;
        if (n->ns || !elem_known(en, &has_sel)) {
            element_list(list, sizeof list);
            return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: unknown element <%s> (expected %s)", path, line,
                              en, list);
        }
        for (xmlNodePtr c = n->children; c; c = c->next)
            if (c->type != XML_COMMENT_NODE && !(c->type == XML_TEXT_NODE && only_space(c->content)))
                return dla_errorf(err, DLA_ERR_FORMAT,
                                  "%s:%d: <%s> must be empty (its figures are attributes)", path,
                                  c->type == XML_TEXT_NODE ? text_line(c) : (int)xmlGetLineNo(c), en);
        /* Which row group: (element, selector). */
        const char *sel = "";
        if (has_sel) {
            xmlChar *sv = xmlGetNoNsProp(n, (const xmlChar *)"name");
            selector_list(en, list, sizeof list);
            if (!sv)
                return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: <%s> lacks attribute 'name' (one of %s)", path,
                                  line, en, list);
            int k = 0;
            for (; k < DLA_TARGET_NFIELDS; k++)
                if (!strcmp(tfields[k].elem, en) && !strcmp(tfields[k].sel, (const char *)sv))
                    break;
            if (k == DLA_TARGET_NFIELDS) {
                DlaStatus st = dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: unknown <%s name=\"%.60s\"> (expected %s)",
                                          path, line, en, (const char *)sv, list);
                xmlFree(sv);
                return st;
            }
            xmlFree(sv);
            sel = tfields[k].sel;
        }
        for (int s = 0; s < nseen; s++)
            if (!strcmp(seen[s].elem, en) && !strcmp(seen[s].sel, sel)) {
                if (has_sel)
                    return dla_errorf(err, DLA_ERR_FORMAT,
                                      "%s:%d: duplicate <%s name=\"%s\"> (first at line %d)", path, line,
                                      en, sel, seen[s].line);
                return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: duplicate <%s> (first at line %d)", path,
                                  line, en, seen[s].line);
            }
        DLA_ASSERT(nseen < DLA_TARGET_NFIELDS);
        for (int k = 0; k < DLA_TARGET_NFIELDS; k++)
            if (!strcmp(tfields[k].elem, en) && !strcmp(tfields[k].sel, sel)) {
                seen[nseen].elem = tfields[k].elem;
                seen[nseen].sel = tfields[k].sel;
                seen[nseen].line = line;
                nseen++;
                break;
            }
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            const char *an = (const char *)a->name;
            if (has_sel && !a->ns && !strcmp(an, "name"))
                continue;
            int k = 0;
            if (!a->ns)
                for (; k < DLA_TARGET_NFIELDS; k++)
                    if (!strcmp(tfields[k].elem, en) && !strcmp(tfields[k].sel, sel) &&
                        !strcmp(tfields[k].attr, an))
                        break;
            if (a->ns || k == DLA_TARGET_NFIELDS) {
                attr_list(en, sel, list, sizeof list);
                return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: unknown attribute '%s' on <%s> (expected %s)",
                                  path, line, an, en, list);
            }
            xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
            uint64_t val = 0;
            char x[96];
            const char *why = parse_u64(v ? (const char *)v : "", tfields[k].flags, &val);
            if (why) {
                DlaStatus st = dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: %s value \"%.40s\" %s", path, line,
                                          dla_target_field_xml(k, x, sizeof x), v ? (const char *)v : "",
                                          why);
                xmlFree(v);
                return st;
            }
            xmlFree(v);
            /* Range before storing, so a uint32 member never truncates silently. */
            if (val > tfields[k].max || (val < tfields[k].min && !((tfields[k].flags & TF_OPTIONAL) && !val)))
                return dla_errorf(err, DLA_ERR_INVALID, "%s:%d: %s (%s) = %llu is out of range [%llu, %llu]",
                                  path, line, dla_target_field_xml(k, x, sizeof x), tfields[k].desc,
                                  (unsigned long long)val, (unsigned long long)tfields[k].min,
                                  (unsigned long long)tfields[k].max);
            dla_target_field_set(out, k, val);
            fline[k] = line;
        }
    }
    /* Missing figures. */
    for (int k = 0; k < DLA_TARGET_NFIELDS; k++) {
        if (fline[k] || (tfields[k].flags & TF_OPTIONAL))
            continue;
        char x[96];
        dla_target_field_xml(k, x, sizeof x);
        for (int s = 0; s < nseen; s++)
            if (!strcmp(seen[s].elem, tfields[k].elem) && !strcmp(seen[s].sel, tfields[k].sel))
                return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: <%s> lacks attribute '%s' (%s)", path,
                                  seen[s].line, tfields[k].elem, tfields[k].attr, tfields[k].desc);
        if (tfields[k].sel[0])
            return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: <dla-target> lacks element <%s name=\"%s\"> (%s)",
                              path, rline, tfields[k].elem, tfields[k].sel, tfields[k].desc);
        return dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: <dla-target> lacks element <%s> (%s)", path, rline,
                          tfields[k].elem, tfields[k].desc);
    }
    /* Ranges and cross checks, located at the line of each figure. */
    char wbuf[DLA_TARGET_NFIELDS][300], rootw[300];
    const char *where[DLA_TARGET_NFIELDS];
    for (int k = 0; k < DLA_TARGET_NFIELDS; k++) {
        snprintf(wbuf[k], sizeof wbuf[k], "%.250s:%d: ", path, fline[k] ? fline[k] : rline);
        where[k] = wbuf[k];
    }
    snprintf(rootw, sizeof rootw, "%.250s:%d: ", path, rline);
    DlaStatus st = validate(out, err, where, rootw);
    if (st)
        return st;
    out->fingerprint = dla_target_fingerprint(out);
    return DLA_OK;
}

DlaStatus dla_target_parse_xml(const char *xml, size_t len, const char *path, DlaTarget *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    if (!path)
        path = "<target>";
    /* A target description is a few KiB; 1 MiB is far more than any needs. */
    if (len > DLA_TARGET_MAX_XML_BYTES)
        return dla_errorf(err, DLA_ERR_LIMIT, "%s: target description too large (%zu bytes, at most %d)", path, len,
                          DLA_TARGET_MAX_XML_BYTES);
    /* libxml2 expands internal entities inside attribute values whatever the
     * parser options say, so a DTD with nested entities ("billion laughs")
     * costs minutes and gigabytes before any check of ours runs. A target file
     * needs no DTD: refuse one before parsing. */
    for (size_t i = 0, line = 1; i + 9 <= len; i++) {
        if (xml[i] == '\n')
            line++;
        else if (xml[i] == '<' && !memcmp(xml + i, "<!DOCTYPE", 9))
            return dla_errorf(err, DLA_ERR_FORMAT,
                              "%s:%zu: a target description may not have a DTD (<!DOCTYPE ...>): entities and "
                              "external subsets are not allowed",
                              path, line);
    }
    /* libxml2 2.9 wants xmlInitParser once before threads parse (libdlart's
     * devices may be opened from several threads). */
    pthread_once(&xml_once, xml_init);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return dla_errorf(err, DLA_ERR_LIMIT, "%s: cannot create an XML parser", path);
    XmlErr xe = {0};
    ctxt->_private = &xe;
    ctxt->sax->serror = xml_error_handler;
    /* No network, no DTD loading (and no DTD at all, above): a target file is data. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, path, NULL, opts);
    DlaStatus st = DLA_OK;
    if (!doc || xe.set || !ctxt->wellFormed) {
        if (!xe.set) {
            xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
            xe.line = e ? e->line : 0;
            snprintf(xe.msg, sizeof xe.msg, "%s", e && e->message ? e->message : "not well-formed");
            size_t n = strlen(xe.msg);
            while (n && (xe.msg[n - 1] == '\n' || xe.msg[n - 1] == ' '))
                xe.msg[--n] = 0;
        }
        st = dla_errorf(err, DLA_ERR_FORMAT, "%s:%d: malformed XML: %s", path, xe.line, xe.msg);
    } else {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (!root)
            st = dla_errorf(err, DLA_ERR_FORMAT, "%s:1: no root element", path);
        else
            st = walk(root, path, out, err);
    }
    if (doc)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    if (st)
        memset(out, 0, sizeof *out);
    return st;
}

DlaStatus dla_target_load_xml(const char *path, DlaTarget *out, DlaError *err)
{
    char *data;
    size_t n;
    memset(out, 0, sizeof *out);
    DlaStatus st = dla_file_read(path, &data, &n, err);
    if (st)
        return st;
    st = dla_target_parse_xml(data, n, path, out, err);
    free(data);
    return st;
}

/* "dla-edge, dla-server" from the *.xml files of dir (sorted), for errors. */
static void list_shipped(const char *dir, char *buf, size_t n)
{
    buf[0] = 0;
    DIR *d = opendir(dir);
    if (!d)
        return;
    char names[32][64];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 32) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < 64 + 4 && !strcmp(e->d_name + l - 4, ".xml")) {
            memcpy(names[nn], e->d_name, l - 4);
            names[nn][l - 4] = 0;
            nn++;
        }
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < nn; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", i ? ", " : "", names[i]);
    }
}

DlaStatus dla_target_load(const char *name_or_path, DlaTarget *out, DlaError *err)
{
    memset(out, 0, sizeof *out);
    size_t l = strlen(name_or_path);
    if (strchr(name_or_path, '/') || (l > 4 && !strcmp(name_or_path + l - 4, ".xml")))
        return dla_target_load_xml(name_or_path, out, err);
    const char *dir = dla_target_dir();
    char list[512];
    if (!name_ok(name_or_path, sizeof out->name)) {
        list_shipped(dir, list, sizeof list);
        return dla_errorf(err, DLA_ERR_INVALID, "'%.100s' is not a target name (shipped targets: %s)",
                          name_or_path, list[0] ? list : "none found");
    }
    char file[128];
    snprintf(file, sizeof file, "%s.xml", name_or_path);
    char *path = dla_path_join(dir, file);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        list_shipped(dir, list, sizeof list);
        DlaStatus st = dla_errorf(err, DLA_ERR_IO, "unknown target '%s': cannot open %s: %s (shipped targets: %s)",
                                  name_or_path, path, strerror(e), list[0] ? list : "none found");
        free(path);
        return st;
    }
    fclose(f);
    DlaStatus st = dla_target_load_xml(path, out, err);
    free(path);
    return st;
}
