// Matrix products on OpenBLAS for the wasm backend's BatchMatMul (trainer/backend/kernels/native-gemm.ts
// builds and loads this). The operands stay where they are, in the wasm heap: the kernel passes the
// heap's ArrayBuffer and byte offsets, and cblas_sgemm reads and writes them in place. OpenBLAS is
// opened with dlopen, so building needs only a C compiler and Node's headers, not OpenBLAS's.
#include <dlfcn.h>
#include <node_api.h>
#include <stdint.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*get_config_fn)(void);

static sgemm_fn sgemm;
static set_threads_fn set_threads;
static get_threads_fn get_threads;
static get_config_fn get_config;

#define CHECK(call) if ((call) != napi_ok) { napi_throw_error(env, NULL, "native gemm: bad arguments"); return NULL; }

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// Byte offsets come as doubles: a heap may pass 2 GiB, and doubles hold any offset exactly.
static double *offsets(napi_env env, napi_value value, size_t *count) {
  napi_typedarray_type type;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, count, &data, NULL, NULL) != napi_ok || type != napi_float64_array) return NULL;
  return (double *)data;
}

// gemm(heap, transA, transB, M, N, K, aOffsets, bOffsets, cOffsets): for each i,
// C_i[M,N] = op(A_i) @ op(B_i), every matrix row-major at the given byte offsets of heap.
static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 9) return fail(env, "native gemm: expected 9 arguments");
  void *heap;
  size_t bytes;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &heap, &bytes));
  int32_t dims[5];
  for (int i = 0; i < 5; i++) CHECK(napi_get_value_int32(env, argv[i + 1], &dims[i]));
  const int ta = dims[0], tb = dims[1], M = dims[2], N = dims[3], K = dims[4];
  if (M <= 0 || N <= 0 || K <= 0) return fail(env, "native gemm: M, N and K must be positive");
  size_t na, nb, nc;
  double *ao = offsets(env, argv[6], &na), *bo = offsets(env, argv[7], &nb), *co = offsets(env, argv[8], &nc);
  if (!ao || !bo || !co || na != nb || na != nc) return fail(env, "native gemm: offsets must be three Float64Arrays of one length");
  const double sizes[3] = {4.0 * M * K, 4.0 * K * N, 4.0 * M * N};
  double *all[3] = {ao, bo, co};
  for (size_t i = 0; i < na; i++)
    for (int m = 0; m < 3; m++) {
      const double o = all[m][i];
      if (!(o >= 0) || o != (double)(uint64_t)o || (uint64_t)o % 4 != 0 || o + sizes[m] > (double)bytes) return fail(env, "native gemm: an operand lies outside the heap");
    }
  char *base = (char *)heap;
  for (size_t i = 0; i < na; i++)
    sgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, M, N, K, 1.0f, (const float *)(base + (uint64_t)ao[i]), ta ? M : K,
          (const float *)(base + (uint64_t)bo[i]), tb ? K : N, 0.0f, (float *)(base + (uint64_t)co[i]), N);
  return NULL;
}

static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1 && set_threads) {
    int32_t n;
    CHECK(napi_get_value_int32(env, argv[0], &n));
    if (n >= 1) set_threads(n);
  }
  napi_value out;
  CHECK(napi_create_int32(env, get_threads ? get_threads() : 1, &out));
  return out;
}

NAPI_MODULE_INIT() {
  void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    napi_throw_error(env, NULL, "libopenblas.so.0 is not installed (Debian: apt-get install libopenblas0-pthread)");
    return NULL;
  }
  sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
  set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
  get_threads = (get_threads_fn)dlsym(lib, "openblas_get_num_threads");
  get_config = (get_config_fn)dlsym(lib, "openblas_get_config");
  if (!sgemm) {
    napi_throw_error(env, NULL, "libopenblas.so.0 has no cblas_sgemm");
    return NULL;
  }
  napi_value fn, config;
  napi_create_function(env, "gemm", NAPI_AUTO_LENGTH, gemm, NULL, &fn);
  napi_set_named_property(env, exports, "gemm", fn);
  napi_create_function(env, "threads", NAPI_AUTO_LENGTH, threads, NULL, &fn);
  napi_set_named_property(env, exports, "threads", fn);
  napi_create_string_utf8(env, get_config ? get_config() : "OpenBLAS", NAPI_AUTO_LENGTH, &config);
  napi_set_named_property(env, exports, "config", config);
  return exports;
}
