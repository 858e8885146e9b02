/* render: see render.h. */
#include "render.h"

#include <cairo-pdf.h>
#include <ctype.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A4 in points, and the margins of the forms. */
#define PAGE_W 595.0
#define PAGE_H 842.0
#define MARGIN 56.0
#define QR_SIZE 92.0
#define FONT "DejaVu Sans"

/* The PDF as Cairo writes it, in memory. */
typedef struct {
    unsigned char *buf;
    size_t len, cap;
    int failed;
} sink_t;

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
    sink_t *s = closure;
    if (s->len + length > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        while (cap < s->len + length)
            cap *= 2;
        unsigned char *b = realloc(s->buf, cap);
        if (!b) {
            s->failed = 1;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, length);
    s->len += length;
    return CAIRO_STATUS_SUCCESS;
}

/* The page being written: where the next line goes, and the layouts' font. */
typedef struct {
    cairo_t *cr;
    double y;
    int pages;
} page_t;

static void new_page(page_t *pg)
{
    cairo_show_page(pg->cr);
    pg->pages++;
    pg->y = MARGIN;
}

/* One paragraph: `text` in `size` points (bold when asked), indented by `indent`, wrapped at
 * the margin and drawn line by line, a line that would cross the bottom margin going to the
 * next page. Never hyphenated: the words stay as the documents give them. */
static void para(page_t *pg, const char *text, double size, int bold, double indent, double after)
{
    if (!text || !*text)
        return;
    PangoLayout *lay = pango_cairo_create_layout(pg->cr);
    PangoFontDescription *fd = pango_font_description_from_string(FONT);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(lay, fd);
    pango_font_description_free(fd);
    double width = PAGE_W - 2 * MARGIN - indent -
                   (pg->pages == 1 && pg->y < MARGIN + QR_SIZE ? QR_SIZE + 12 : 0);
    pango_layout_set_width(lay, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
    PangoAttrList *attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
    pango_layout_set_attributes(lay, attrs);
    pango_attr_list_unref(attrs);
    pango_layout_set_text(lay, text, -1);
    PangoLayoutIter *it = pango_layout_get_iter(lay);
    do {
        PangoRectangle logical;
        pango_layout_iter_get_line_extents(it, NULL, &logical);
        double h = (double)logical.height / PANGO_SCALE;
        if (pg->y + h > PAGE_H - MARGIN)
            new_page(pg);
        double baseline = (double)(pango_layout_iter_get_baseline(it) - logical.y) / PANGO_SCALE;
        cairo_move_to(pg->cr, MARGIN + indent, pg->y + baseline);
        pango_cairo_show_layout_line(pg->cr, pango_layout_iter_get_line_readonly(it));
        pg->y += h;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    g_object_unref(lay);
    pg->y += after;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* "Label kk / Label ru: value" as one paragraph, the label bold on a line of its own. */
static void field(page_t *pg, const char *label, const char *value)
{
    para(pg, label, 8.5, 1, 0, 1);
    para(pg, value && *value ? value : "—", 10, 0, 8, 6);
}

/* A field of two texts, Kazakh then Russian. */
static void field2(page_t *pg, const char *label, const char *kk, const char *ru)
{
    para(pg, label, 8.5, 1, 0, 1);
    para(pg, kk && *kk ? kk : "—", 10, 0, 8, 2);
    para(pg, ru && *ru ? ru : "—", 10, 0, 8, 6);
}

/* The QR code of the verification address, top right of the first page: one pixel a module,
 * scaled without interpolation - an image, not a rectangle a module, which cost the PDF most
 * of its size and its writer most of its time (float formatting, deflate). */
static int qr(cairo_t *cr, const char *url)
{
    QRcode *code = QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code)
        return -1;
    int quiet = 4, n = code->width + 2 * quiet;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, n, n);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        QRcode_free(code);
        cairo_surface_destroy(img);
        return -1;
    }
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            int mx = x - quiet, my = y - quiet;
            int dark = mx >= 0 && my >= 0 && mx < code->width && my < code->width &&
                       (code->data[my * code->width + mx] & 1);
            uint32_t v = dark ? 0x000000 : 0xFFFFFF;
            memcpy(px + y * stride + x * 4, &v, 4);
        }
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_translate(cr, PAGE_W - MARGIN - QR_SIZE, MARGIN);
    cairo_scale(cr, QR_SIZE / n, QR_SIZE / n);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    QRcode_free(code);
    return 0;
}

static void licensee(page_t *pg, const json_t *p, const char *label)
{
    char id[64];
    const char *bin = str(p, "bin");
    snprintf(id, sizeof(id), "%s %s", *bin ? "БСН / БИН" : "ЖСН / ИИН", *bin ? bin : str(p, "iin"));
    field(pg, label, str(p, "name"));
    field(pg, "Мекенжайы / Адрес", str(p, "legal_address"));
    field(pg,
          *bin ? "Бизнес-сәйкестендіру нөмірі / Бизнес-идентификационный номер"
               : "Жеке сәйкестендіру нөмірі / Индивидуальный идентификационный номер",
          id);
}

static void licensor_and_head(page_t *pg, const json_t *doc, const char *head_key)
{
    const json_t *l = json_object_get(doc, "licensor"), *h = json_object_get(doc, head_key);
    field2(pg, "Лицензиар / Лицензиар", str(l, "name_kk"), str(l, "name_ru"));
    char kk[600], ru[600];
    snprintf(kk, sizeof(kk), "%s %s", str(h, "position_kk"), str(h, "name"));
    snprintf(ru, sizeof(ru), "%s %s", str(h, "position_ru"), str(h, "name"));
    field2(pg, "Басшы (уәкілетті тұлға) / Руководитель (уполномоченное лицо)", kk, ru);
}

static void license_page(page_t *pg, const json_t *doc)
{
    para(pg, "ЛИЦЕНЗИЯ", 16, 1, 0, 2);
    para(pg, "Қосымша 3, 1-нысан / Приложение 3, форма 1", 8.5, 0, 0, 10);
    field(pg, "Нөмірі / Номер", str(doc, "number"));
    field(pg, "Берілген күні / Дата выдачи", str(doc, "date"));
    const json_t *a = json_object_get(doc, "activity");
    field2(pg,
           "Лицензияланатын қызмет түрінің атауы / Наименование лицензируемого вида "
           "деятельности",
           str(a, "name_kk"), str(a, "name_ru"));
    licensee(pg, json_object_get(doc, "licensee"), "Лицензиат / Лицензиат");
    field(pg, "Ерекше шарттар / Особые условия", str(doc, "special_conditions"));
    field(pg, "Ескертпе / Примечание", str(doc, "note"));
    licensor_and_head(pg, doc, "head");
    field(pg, "Алғашқы берілген күні / Дата первичной выдачи", str(doc, "first_issue_date"));
    field(pg, "Қолданылу мерзімі / Срок действия", str(doc, "validity"));
    field(pg, "Берілген орны / Место выдачи", str(doc, "place_of_issue"));
}

static void annex_page(page_t *pg, const json_t *doc)
{
    para(pg, "ЛИЦЕНЗИЯҒА ҚОСЫМША / ПРИЛОЖЕНИЕ К ЛИЦЕНЗИИ", 14, 1, 0, 2);
    para(pg, "Қосымша 3, 2-нысан / Приложение 3, форма 2", 8.5, 0, 0, 10);
    field(pg, "Лицензияның нөмірі / Номер лицензии", str(doc, "license_number"));
    field(pg, "Лицензияның берілген күні / Дата выдачи лицензии", str(doc, "license_date"));
    field(pg, "Қосымшаның нөмірі / Номер приложения", str(doc, "number"));
    field(pg, "Қосымшаның берілген күні / Дата выдачи приложения", str(doc, "date"));
    para(pg,
         "Лицензияланатын қызмет түрінің кіші түрлері / Подвиды лицензируемого вида "
         "деятельности",
         8.5, 1, 0, 1);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "subtypes"), i, s)
    {
        char kk[600], ru[600];
        long long code = json_integer_value(json_object_get(s, "code"));
        snprintf(kk, sizeof(kk), "%lld) %s", code, str(s, "name_kk"));
        snprintf(ru, sizeof(ru), "%lld) %s", code, str(s, "name_ru"));
        para(pg, kk, 10, 0, 8, 1);
        para(pg, ru, 10, 0, 8, 4);
    }
    pg->y += 4;
    licensee(pg, json_object_get(doc, "licensee"), "Лицензиат / Лицензиат");
    const json_t *b = json_object_get(doc, "production_base");
    char base[4200];
    snprintf(base, sizeof(base), "%s, %s", str(b, "region_name"), str(b, "address"));
    field(pg, "Өндірістік база (орналасқан жері) / Производственная база (место нахождения)", base);
    field(pg, "Ерекше шарттар / Особые условия", str(doc, "special_conditions"));
    licensor_and_head(pg, doc, "head");
    field(pg, "Қолданылу мерзімі / Срок действия", str(doc, "validity"));
    field(pg, "Берілген орны / Место выдачи", str(doc, "place_of_issue"));
}

static void refusal_page(page_t *pg, const json_t *doc)
{
    const json_t *l = json_object_get(doc, "licensor"), *c = json_object_get(doc, "city");
    para(pg, str(l, "name_kk"), 10, 1, 0, 1);
    para(pg, str(l, "name_ru"), 10, 1, 0, 8);
    para(pg, "ДӘЛЕЛДІ БАС ТАРТУ / МОТИВИРОВАННЫЙ ОТКАЗ", 14, 1, 0, 2);
    para(pg, "Қағидаларға 2-қосымша / Приложение 2 к Правилам", 8.5, 0, 0, 10);
    field(pg, "Нөмірі / Номер", str(doc, "number"));
    field(pg, "Күні / Дата", str(doc, "date"));
    field2(pg, "Қаласы / Город", str(c, "kk"), str(c, "ru"));
    licensee(pg, json_object_get(doc, "addressee"), "Кімге / Кому");
    const json_t *a = json_object_get(doc, "application");
    char app[200];
    snprintf(app, sizeof(app), "№ %s, %s", str(a, "number"), str(a, "date"));
    field(pg, "Өтініш / Заявление", app);
    field2(pg, "Мәтіні / Текст", str(doc, "text_kk"), str(doc, "text_ru"));
    para(pg, "Негіздер / Основания", 8.5, 1, 0, 1);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(doc, "grounds"), i, g)
    {
        char rule[300];
        snprintf(rule, sizeof(rule), "%zu. %s", i + 1, str(g, "rule"));
        para(pg, rule, 9, 1, 8, 1);
        para(pg, str(g, "text_kk"), 10, 0, 16, 1);
        para(pg, str(g, "text_ru"), 10, 0, 16, 4);
    }
    pg->y += 6;
    const json_t *h = json_object_get(doc, "signer");
    char kk[600], ru[600];
    snprintf(kk, sizeof(kk), "%s %s", str(h, "position_kk"), str(h, "name"));
    snprintf(ru, sizeof(ru), "%s %s", str(h, "position_ru"), str(h, "name"));
    field2(pg, "Қол қойған / Подписал", kk, ru);
}

void rd_verify_url(const char *base, const char *number, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%s/", base);
    for (const unsigned char *p = (const unsigned char *)number; *p && n + 4 < size; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '/')
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, size - n, "%%%02X", *p);
    }
    if (n < size)
        out[n] = '\0';
}

int rd_render_pdf(const json_t *doc, const char *verify_url, unsigned char **pdf, size_t *len,
                  char *err, size_t err_size)
{
    *pdf = NULL;
    *len = 0;
    const char *kind = str(doc, "document");
    void (*page)(page_t *, const json_t *) = strcmp(kind, "license") == 0            ? license_page
                                             : strcmp(kind, "license_annex") == 0    ? annex_page
                                             : strcmp(kind, "reasoned_refusal") == 0 ? refusal_page
                                                                                     : NULL;
    if (!page) {
        snprintf(err, err_size, "no form for a document of kind '%s'", kind);
        return -1;
    }
    sink_t sink = {0};
    cairo_surface_t *surface =
        cairo_pdf_surface_create_for_stream(sink_write, &sink, PAGE_W, PAGE_H);
    char title[200];
    snprintf(title, sizeof(title), "%s %s", kind, str(doc, "number"));
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "licensing workers");
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 0, 0, 0);
    page_t pg = {.cr = cr, .y = MARGIN, .pages = 1};
    int rc = qr(cr, verify_url);
    if (rc == 0) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        page(&pg, doc);
        para(&pg, verify_url, 7.5, 0, 0, 0);
        cairo_show_page(cr);
    }
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (rc != 0 || st != CAIRO_STATUS_SUCCESS || sink.failed) {
        snprintf(err, err_size, "%s",
                 rc != 0       ? "the QR code could not be made"
                 : sink.failed ? "out of memory"
                               : cairo_status_to_string(st));
        free(sink.buf);
        return -1;
    }
    *pdf = sink.buf;
    *len = sink.len;
    return 0;
}
