#define SCALEPLAN_KERNEL_NAME ChinchillaHuberKernelBaseline
#include "fitting/chinchilla_kernel_body.h"
