/* probe.c - compiled by the layering tests (CMakeLists.txt here) with one
 * module's include path and PROBE_HEADER naming another module's header: it
 * must compile when the module may see that header, and fail when the include
 * would point up the data flow (docs/architecture.md). */
#include PROBE_HEADER
int dla_layering_probe;
