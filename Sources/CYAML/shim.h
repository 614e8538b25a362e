#ifndef TASKHOOK_CYAML_SHIM_H
#define TASKHOOK_CYAML_SHIM_H
#include <yaml.h>
#endif
