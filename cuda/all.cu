// The one translation unit that cuda/build.sh compiles into attention4j_kernels.fatbin: a single module for
// cuModuleLoadData holding every kernel family (they share common.cuh, include-guarded).
#include "softmax.cu"
#include "rope.cu"
#include "convert.cu"
#include "flash_fwd.cu"
#include "flash_decode.cu"
