#define SCALEPLAN_KERNEL_NAME ChinchillaHuberKernelAvx2
#include "fitting/chinchilla_kernel_body.h"
