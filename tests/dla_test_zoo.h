/* dla_test_zoo.h - loading a zoo model in tests that link the frontend
 * (dla_test.h stays free of frontend headers for the tests that do not). */
#ifndef DLA_TEST_ZOO_H
#define DLA_TEST_ZOO_H

#include "dla_test.h"
#include "frontend/onnx.h"

/* ../shared/models/<model>/model.onnx loaded, with input_shape
 * ("name=d0,d1,...", may be NULL) bound; NULL when the zoo is absent (said on
 * stderr). A load failure fails the test (fatal) after printing the error. */
static inline IrGraph *dla_test_zoo_load(const char *model, const char *input_shape)
{
    const char *dir = dla_test_models_dir();
    if (!dir)
        return NULL;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/model.onnx", dir, model);
    IrGraph *g = NULL;
    DlaError err = {0};
    OnnxInputShape shp;
    OnnxLoadOptions lo = {&shp, 1};
    if (input_shape)
        CU_ASSERT_EQUAL_FATAL(onnx_parse_input_shape(input_shape, &shp, &err), DLA_OK);
    DlaStatus st = onnx_load(path, input_shape ? &lo : NULL, &g, &err);
    if (st != DLA_OK)
        fprintf(stderr, "%s: %s\n", model, err.msg);
    CU_ASSERT_EQUAL_FATAL(st, DLA_OK);
    return g;
}

#endif
