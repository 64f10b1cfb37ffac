// N-API addon for the `native` tfjs backend: OpenBLAS sgemm, convolutions (NHWC: Winograd, im2col/col2im) and a few
// memory-bound kernels (bias + activation, row softmax, axis reductions) threaded with OpenMP.
#define NAPI_VERSION 8
#include <cblas.h>
#include <malloc.h>
#include <math.h>
#include <node_api.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------ */
/* Argument helpers                                                                                   */

#define CHECK(call)                                                                                      \
  do {                                                                                                   \
    if ((call) != napi_ok) {                                                                             \
      napi_throw_error(env, NULL, "ocrflow_blas: N-API call failed: " #call);                         \
      return NULL;                                                                                       \
    }                                                                                                    \
  } while (0)

static int get_f32(napi_env env, napi_value v, float** out, size_t* len) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return 0;
  if (type != napi_float32_array) return 0;
  *out = (float*)data;
  if (len) *len = length;
  return 1;
}

static int get_f32_or_null(napi_env env, napi_value v, float** out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null || t == napi_undefined) {
    *out = NULL;
    return 1;
  }
  return get_f32(env, v, out, NULL);
}

static int64_t get_i(napi_env env, napi_value v) {
  int64_t r = 0;
  napi_get_value_int64(env, v, &r);
  return r;
}

static double get_d(napi_env env, napi_value v) {
  double r = 0;
  napi_get_value_double(env, v, &r);
  return r;
}

#define ARGS(n)                                                                                          \
  size_t argc = (n);                                                                                     \
  napi_value argv[(n)];                                                                                  \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                                           \
  if (argc < (n)) {                                                                                      \
    napi_throw_error(env, NULL, "ocrflow_blas: expected " #n " arguments");                           \
    return NULL;                                                                                         \
  }

#define F32(i, name)                                                                                     \
  float* name;                                                                                           \
  if (!get_f32(env, argv[i], &name, NULL)) {                                                             \
    napi_throw_type_error(env, NULL, "ocrflow_blas: argument " #i " must be a Float32Array");           \
    return NULL;                                                                                         \
  }

/* Element-wise loops smaller than this run on one thread: waking a sleeping OpenMP thread costs more than
   a memory-bound pass over a few hundred KB. OCRFLOW_PARALLEL_MIN overrides it. */
static int64_t parallel_min = (int64_t)1 << 18;

/* A scratch buffer reused across calls (re-faulting fresh pages for every convolution costs milliseconds);
   one per calling thread, so tfjs in several worker_threads can share the addon. */
static _Thread_local float* scratch = NULL;
static _Thread_local size_t scratch_len = 0;

static float* get_scratch(size_t n) {
  if (n > scratch_len) {
    free(scratch);
    scratch = (float*)malloc(n * sizeof(float));
    scratch_len = scratch ? n : 0;
  }
  return scratch;
}

/* get_scratch for one thread of a parallel region: on failure also clears *ok, shared by the team (each thread
   must still reach the region's worksharing loops, so the caller skips work rather than leaving). */
static float* team_scratch(size_t n, int* ok) {
  float* p = get_scratch(n);
  if (!p) {
#pragma omp atomic write
    *ok = 0;
  }
  return p;
}

/* expf as a range reduction and a degree-6 polynomial (Cephes' expf, relative error about 1e-7 over the float
   range): unlike glibc's expf, GCC vectorises loops of it (8 lanes with AVX2), which made softmax, tanh,
   sigmoid and GELU several times faster (needs -fno-trapping-math, binding.gyp). Below -87.3 the result is 0
   rather than a denormal, above 88.7 inf; NaN stays NaN. */
static inline float fast_expf(float v) {
  float x = v < -87.3f ? -87.3f : v;
  x = x > 88.3f ? 88.3f : x;
  /* Round to nearest by the 1.5 * 2^23 trick: rintf is a library call that keeps loops scalar. */
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union {
    int32_t i;
    float f;
  } scale = {.i = ((int32_t)k + 127) << 23};
  const float e = v > 88.72f ? INFINITY : p * scale.f;
  return v < -87.3f ? 0.0f : e;
}

/* ------------------------------------------------------------------------------------------------ */
/* GEMM                                                                                               */

/* Makes OpenBLAS single-threaded for GEMMs called inside our own parallel region: its OpenMP build does that
   by itself (and its set_num_threads would also shrink our region), its pthreads build must be told.
   Returns what serial_blas_end restores. */
static int serial_blas_begin(void) {
  if (openblas_get_parallel() == 2) return 0;
  int saved = openblas_get_num_threads();
  openblas_set_num_threads(1);
  return saved;
}

static void serial_blas_end(int saved) {
  if (saved > 0) openblas_set_num_threads(saved);
}

/* sgemm(transA, transB, M, N, K, A, B, C, batch, strideA, strideB, strideC, beta)
   Row-major C[b] = op(A[b]) * op(B[b]) + beta * C[b]; a stride of 0 broadcasts one matrix over the batch. */
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  ARGS(13);
  int ta = (int)get_i(env, argv[0]), tb = (int)get_i(env, argv[1]);
  int64_t M = get_i(env, argv[2]), N = get_i(env, argv[3]), K = get_i(env, argv[4]);
  F32(5, A);
  F32(6, B);
  F32(7, C);
  int64_t batch = get_i(env, argv[8]);
  int64_t sa = get_i(env, argv[9]), sb = get_i(env, argv[10]), sc = get_i(env, argv[11]);
  float beta = (float)get_d(env, argv[12]);
  int lda = ta ? (int)M : (int)K;
  int ldb = tb ? (int)K : (int)N;
  enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE opb = tb ? CblasTrans : CblasNoTrans;
  if (batch == 1 || M * N * K >= (int64_t)1 << 21) {
    for (int64_t b = 0; b < batch; b++) {
      cblas_sgemm(CblasRowMajor, opa, opb, (int)M, (int)N, (int)K, 1.0f, A + b * sa, lda, B + b * sb, ldb, beta,
                  C + b * sc, (int)N);
    }
  } else {
    /* Many small products (attention heads): one per thread, each single-threaded inside OpenBLAS. */
    const int blas = serial_blas_begin();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < batch; b++) {
      cblas_sgemm(CblasRowMajor, opa, opb, (int)M, (int)N, (int)K, 1.0f, A + b * sa, lda, B + b * sb, ldb, beta,
                  C + b * sc, (int)N);
    }
    serial_blas_end(blas);
  }
  return NULL;
}

/* ------------------------------------------------------------------------------------------------ */
/* Convolution (NHWC input, HWIO filter), by im2col + GEMM                                            */

typedef struct {
  int64_t n, h, w, c;        /* input */
  int64_t kh, kw, oc;        /* filter */
  int64_t sh, sw, dh, dw;    /* strides, dilations */
  int64_t pt, pl;            /* top and left padding */
  int64_t oh, ow;            /* output */
} ConvGeom;

static void read_geom(napi_env env, napi_value* argv, ConvGeom* g) {
  int64_t* f = &g->n;
  for (int i = 0; i < 15; i++) f[i] = get_i(env, argv[i]);
}

static int is_pointwise(const ConvGeom* g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->oh == g->h &&
         g->ow == g->w;
}

/* bias + activation over rows of y, in place. act: 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 sigmoid,
   5 elu. */
static void bias_act_rows(float* y, int64_t rows, int64_t cols, const float* bias, int act, float alpha) {
  for (int64_t r = 0; r < rows; r++) {
    float* p = y + r * cols;
    if (bias)
      for (int64_t c = 0; c < cols; c++) p[c] += bias[c];
    switch (act) {
      case 1:
        for (int64_t c = 0; c < cols; c++) p[c] = p[c] > 0 ? p[c] : 0;
        break;
      case 2:
        for (int64_t c = 0; c < cols; c++) p[c] = p[c] < 0 ? 0 : (p[c] > 6 ? 6 : p[c]);
        break;
      case 3:
        for (int64_t c = 0; c < cols; c++) p[c] = p[c] < 0 ? alpha * p[c] : p[c];
        break;
      case 4:
        for (int64_t c = 0; c < cols; c++) p[c] = 1.0f / (1.0f + fast_expf(-p[c]));
        break;
      case 5:
        for (int64_t c = 0; c < cols; c++) p[c] = p[c] < 0 ? expm1f(p[c]) : p[c];
        break;
      default:
        break;
    }
  }
}

/* Output rows per tile of the column matrix: about 256 KB of columns, so that each thread's im2col writes a
   tile its GEMM reads back from the core's L2 cache. (Columns of 64 images at once, 64 MB for master's
   first stage, went through memory twice: 2.8-32 GFLOP/s there, against 55+ for the cache-sized tiles.) */
static int64_t tile_rows(int64_t K) {
  int64_t t = ((int64_t)1 << 16) / K;
  return t < 32 ? 32 : t;
}

/* Columns of the output rows [r0, r1) (rows counted over the whole batch) into col, (r1 - r0) x K. */
static void im2col_rows(const ConvGeom* g, const float* x, int64_t r0, int64_t r1, float* col) {
  const int64_t K = g->kh * g->kw * g->c, hw = g->oh * g->ow, c = g->c;
  /* One copy per filter row when the dilation leaves its pixels contiguous. */
  const int contiguous = g->dw == 1;
  for (int64_t r = r0; r < r1; r++) {
    int64_t b = r / hw, rem = r % hw;
    int64_t oy = rem / g->ow, ox = rem % g->ow;
    float* dst = col + (r - r0) * K;
    const float* img = x + b * g->h * g->w * c;
    int64_t ix0 = ox * g->sw - g->pl;
    for (int64_t ky = 0; ky < g->kh; ky++) {
      int64_t iy = oy * g->sh - g->pt + ky * g->dh;
      float* d = dst + ky * g->kw * c;
      if (iy < 0 || iy >= g->h) {
        memset(d, 0, g->kw * c * sizeof(float));
      } else if (contiguous && ix0 >= 0 && ix0 + g->kw <= g->w) {
        memcpy(d, img + (iy * g->w + ix0) * c, g->kw * c * sizeof(float));
      } else {
        for (int64_t kx = 0; kx < g->kw; kx++) {
          int64_t ix = ix0 + kx * g->dw;
          if (ix < 0 || ix >= g->w)
            memset(d + kx * c, 0, c * sizeof(float));
          else
            memcpy(d + kx * c, img + (iy * g->w + ix) * c, c * sizeof(float));
        }
      }
    }
  }
}

/* Adds the columns of image b back into dx. */
static void col2im_image(const ConvGeom* g, const float* col, int64_t b, float* dx) {
  const int64_t K = g->kh * g->kw * g->c;
  float* img = dx + b * g->h * g->w * g->c;
  for (int64_t oy = 0; oy < g->oh; oy++) {
    for (int64_t ox = 0; ox < g->ow; ox++) {
      const float* src = col + (oy * g->ow + ox) * K;
      for (int64_t ky = 0; ky < g->kh; ky++) {
        int64_t iy = oy * g->sh - g->pt + ky * g->dh;
        if (iy < 0 || iy >= g->h) continue;
        for (int64_t kx = 0; kx < g->kw; kx++) {
          int64_t ix = ox * g->sw - g->pl + kx * g->dw;
          if (ix < 0 || ix >= g->w) continue;
          float* d = img + (iy * g->w + ix) * g->c;
          const float* sp = src + (ky * g->kw + kx) * g->c;
          for (int64_t ch = 0; ch < g->c; ch++) d[ch] += sp[ch];
        }
      }
    }
  }
}

/* Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray, 2015): each 2x2 block of outputs comes
   from a 4x4 block of input by 16 products per channel pair instead of 36, as 16 GEMMs of a block of tiles.
   Filters: U = G g G^T, inputs: V = B^T d B, outputs: Y = A^T M A. */
static int winograd_fits(const ConvGeom* g) {
  return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 && g->c >= 8 &&
         g->oc >= 8;
}

/* U[16][c][oc] from w[3][3][c][oc]. */
static void winograd_filters(const ConvGeom* g, const float* w, float* U) {
  const int64_t c = g->c, oc = g->oc, plane = c * oc;
  for (int64_t i = 0; i < plane; i++) {
    float k[3][3], t[4][3];
    for (int y = 0; y < 3; y++)
      for (int x = 0; x < 3; x++) k[y][x] = w[(y * 3 + x) * plane + i];
    for (int x = 0; x < 3; x++) {
      t[0][x] = k[0][x];
      t[1][x] = 0.5f * (k[0][x] + k[1][x] + k[2][x]);
      t[2][x] = 0.5f * (k[0][x] - k[1][x] + k[2][x]);
      t[3][x] = k[2][x];
    }
    for (int y = 0; y < 4; y++) {
      U[(y * 4 + 0) * plane + i] = t[y][0];
      U[(y * 4 + 1) * plane + i] = 0.5f * (t[y][0] + t[y][1] + t[y][2]);
      U[(y * 4 + 2) * plane + i] = 0.5f * (t[y][0] - t[y][1] + t[y][2]);
      U[(y * 4 + 3) * plane + i] = t[y][2];
    }
  }
}

/* V[e * vs + ch] = (B^T d B)[e] for the patch d[4][4][c]. */
static void winograd_input(const float* restrict d, int64_t c, float* restrict v, int64_t vs) {
  for (int64_t ch = 0; ch < c; ch++) {
    float s[4][4];
    for (int j = 0; j < 4; j++) {
      const float a0 = d[j * c + ch], a1 = d[(4 + j) * c + ch], a2 = d[(8 + j) * c + ch], a3 = d[(12 + j) * c + ch];
      s[0][j] = a0 - a2;
      s[1][j] = a1 + a2;
      s[2][j] = a2 - a1;
      s[3][j] = a1 - a3;
    }
    for (int i = 0; i < 4; i++) {
      v[(i * 4 + 0) * vs + ch] = s[i][0] - s[i][2];
      v[(i * 4 + 1) * vs + ch] = s[i][1] + s[i][2];
      v[(i * 4 + 2) * vs + ch] = s[i][2] - s[i][1];
      v[(i * 4 + 3) * vs + ch] = s[i][1] - s[i][3];
    }
  }
}

/* The rows x cols (at most 2x2) outputs A^T m A of one tile, m[e * ms + ch]; output rows are `stride` apart. */
static void winograd_output(const float* restrict m, int64_t ms, int64_t oc, float* restrict out, int64_t stride,
                            int rows, int cols) {
  for (int64_t ch = 0; ch < oc; ch++) {
    float s[2][4];
    for (int j = 0; j < 4; j++) {
      const float a0 = m[j * ms + ch], a1 = m[(4 + j) * ms + ch], a2 = m[(8 + j) * ms + ch], a3 = m[(12 + j) * ms + ch];
      s[0][j] = a0 + a1 + a2;
      s[1][j] = a1 - a2 - a3;
    }
    for (int i = 0; i < rows; i++) {
      out[i * stride + ch] = s[i][0] + s[i][1] + s[i][2];
      if (cols == 2) out[i * stride + oc + ch] = s[i][1] - s[i][2] - s[i][3];
    }
  }
}

/* The 4x4 input patch whose top-left pixel is (iy0, ix0) of image img (negative in the padding), zero outside,
   gathered row by row (4 pixels of a row are contiguous in NHWC). */
static void winograd_patch(const ConvGeom* g, const float* img, int64_t iy0, int64_t ix0, float* patch) {
  const int64_t c = g->c;
  for (int i = 0; i < 4; i++) {
    const int64_t iy = iy0 + i;
    float* row = patch + i * 4 * c;
    if (iy < 0 || iy >= g->h) {
      memset(row, 0, 4 * c * sizeof(float));
    } else if (ix0 >= 0 && ix0 + 4 <= g->w) {
      memcpy(row, img + (iy * g->w + ix0) * c, 4 * c * sizeof(float));
    } else {
      for (int j = 0; j < 4; j++) {
        const int64_t ix = ix0 + j;
        if (ix < 0 || ix >= g->w)
          memset(row + j * c, 0, c * sizeof(float));
        else
          memcpy(row + j * c, img + (iy * g->w + ix) * c, c * sizeof(float));
      }
    }
  }
}

/* Image *b and top-left output (*oy, *ox) of 2x2 tile `id`, the tiles counted over the batch row by row. */
static void winograd_tile(const ConvGeom* g, int64_t id, int64_t* b, int64_t* oy, int64_t* ox) {
  const int64_t ty = (g->oh + 1) / 2, tx = (g->ow + 1) / 2, r = id % (ty * tx);
  *b = id / (ty * tx);
  *oy = (r / tx) * 2;
  *ox = (r % tx) * 2;
}

/* v[e * vs + ch] = (B^T d B)[e] for the 4x4 input patch d of tile `id`, gathered into `patch`. */
static void winograd_tile_input(const ConvGeom* g, const float* x, int64_t id, float* patch, float* v, int64_t vs) {
  int64_t b, oy, ox;
  winograd_tile(g, id, &b, &oy, &ox);
  winograd_patch(g, x + b * g->h * g->w * g->c, oy - g->pt, ox - g->pl, patch);
  winograd_input(patch, g->c, v, vs);
}

/* Adds the sums of threads 1 .. team - 1 (n floats each, one after the other) into thread 0's, in thread order,
   so that the result does not depend on which thread finished first. */
static void add_team_sums(float* acc, int team, int64_t n) {
  for (int i = 1; i < team; i++)
    for (int64_t j = 0; j < n; j++) acc[j] += acc[(int64_t)i * n + j];
}

/* Forward by Winograd; the caller checked winograd_fits. Threads take blocks of tiles; each holds the
   transformed inputs V[16][tb][c] and products M[16][tb][oc] of its block in its scratch. 0 = out of memory. */
static int conv_winograd(const ConvGeom* g, const float* x, const float* w, float* y, const float* bias, int act,
                         float alpha) {
  const int64_t c = g->c, oc = g->oc, ty = (g->oh + 1) / 2, tx = (g->ow + 1) / 2;
  const int64_t tiles = g->n * ty * tx;
  /* Tiles per block: V and M of a block take 16 * 4096 floats (256 KB, the core's L2 holds them). */
  int64_t tb = 4096 / (c + oc);
  tb = tb < 8 ? 8 : tb;
  /* Matrix strides padded off multiples of 4 KB, or the 16 streams of a transform share one set of the L1
     cache: without the padding master-tiny's convs took 1.9x as long. */
  const int64_t vs = tb * c + 32, mstride = tb * oc + 32;
  const int64_t blocks = (tiles + tb - 1) / tb;
  float* U = (float*)malloc(16 * c * oc * sizeof(float));
  if (!U) return 0;
  winograd_filters(g, w, U);
  int ok = 1;
  const int blas = serial_blas_begin();
#pragma omp parallel
  {
    float* V = team_scratch(16 * (vs + mstride) + 16 * c, &ok);
    float* M = V ? V + 16 * vs : NULL;
    float* patch = V ? M + 16 * mstride : NULL;
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; blk++) {
      if (!V) continue;
      const int64_t t0 = blk * tb, nt = t0 + tb < tiles ? tb : tiles - t0;
      for (int64_t t = 0; t < nt; t++) winograd_tile_input(g, x, t0 + t, patch, V + t * c, vs);
      for (int e = 0; e < 16; e++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nt, (int)oc, (int)c, 1.0f, V + e * vs,
                    (int)c, U + e * c * oc, (int)oc, 0.0f, M + e * mstride, (int)oc);
      for (int64_t t = 0; t < nt; t++) {
        int64_t b, oy, ox;
        winograd_tile(g, t0 + t, &b, &oy, &ox);
        const int rows = oy + 1 < g->oh ? 2 : 1, cols = ox + 1 < g->ow ? 2 : 1;
        float* out = y + ((b * g->oh + oy) * g->ow + ox) * oc;
        winograd_output(M + t * oc, mstride, oc, out, g->ow * oc, rows, cols);
        if (bias || act)
          for (int i = 0; i < rows; i++) bias_act_rows(out + i * g->ow * oc, cols, oc, bias, act, alpha);
      }
    }
  }
  serial_blas_end(blas);
  free(U);
  return ok;
}

/* Z[e * zs + ch] = (A d A^T)[e] for the rows x cols (at most 2x2, zero beyond) output gradients d of one tile,
   whose rows are `stride` apart: the transform that carries a tile's output gradient back to U. */
static void winograd_output_grad(const float* restrict d, int64_t stride, int64_t oc, int rows, int cols,
                                 float* restrict z, int64_t zs) {
  for (int64_t ch = 0; ch < oc; ch++) {
    const float p = d[ch], q = cols == 2 ? d[oc + ch] : 0.0f;
    const float r = rows == 2 ? d[stride + ch] : 0.0f, s = rows == 2 && cols == 2 ? d[stride + oc + ch] : 0.0f;
    /* A d: rows [p, q], [p + r, q + s], [p - r, q - s], [-r, -s]; then each row [u, v] -> [u, u + v, u - v, -v]. */
    const float u[4] = {p, p + r, p - r, -r}, v[4] = {q, q + s, q - s, -s};
    for (int i = 0; i < 4; i++) {
      z[(i * 4 + 0) * zs + ch] = u[i];
      z[(i * 4 + 1) * zs + ch] = u[i] + v[i];
      z[(i * 4 + 2) * zs + ch] = u[i] - v[i];
      z[(i * 4 + 3) * zs + ch] = -v[i];
    }
  }
}

/* dw[3][3][c][oc] += G^T dU[e] G over the 16 planes of dU[16][c][oc] (the adjoint of winograd_filters). */
static void winograd_filters_grad(const ConvGeom* g, const float* dU, float* dw) {
  const int64_t plane = g->c * g->oc;
  for (int64_t i = 0; i < plane; i++) {
    float t[4][3];
    for (int y = 0; y < 4; y++) {
      const float u0 = dU[(y * 4 + 0) * plane + i], u1 = dU[(y * 4 + 1) * plane + i];
      const float u2 = dU[(y * 4 + 2) * plane + i], u3 = dU[(y * 4 + 3) * plane + i];
      t[y][0] = u0 + 0.5f * (u1 + u2);
      t[y][1] = 0.5f * (u1 - u2);
      t[y][2] = 0.5f * (u1 + u2) + u3;
    }
    for (int x = 0; x < 3; x++) {
      dw[(0 * 3 + x) * plane + i] += t[0][x] + 0.5f * (t[1][x] + t[2][x]);
      dw[(1 * 3 + x) * plane + i] += 0.5f * (t[1][x] - t[2][x]);
      dw[(2 * 3 + x) * plane + i] += 0.5f * (t[1][x] + t[2][x]) + t[3][x];
    }
  }
}

/* Filter gradient by Winograd; the caller checked winograd_fits and zero-filled dw. The adjoint of
   conv_winograd: per block of tiles, V = B^T d B of the input and Z = A dY A^T of the output gradient, then
   dU[e] += V[e]^T Z[e], 16 GEMMs summing over the block's tiles, and dw = G^T dU G. Blocks are 8 times the
   forward's (2 MB of V and Z): the tiles are the GEMMs' inner dimension, and dU is read and written once per
   block (tried 4096 to 65536 floats per c + oc; 32768 was fastest, by little). Each thread sums into its own
   dU; they are added in thread order, so the result does not depend on timing. 0 = out of memory. */
static int conv_winograd_filter_grad(const ConvGeom* g, const float* x, const float* dy, float* dw) {
  const int64_t c = g->c, oc = g->oc, ty = (g->oh + 1) / 2, tx = (g->ow + 1) / 2;
  const int64_t tiles = g->n * ty * tx, plane = c * oc;
  int64_t tb = 32768 / (c + oc);
  tb = tb < 32 ? 32 : tb;
  const int64_t vs = tb * c + 32, zs = tb * oc + 32;
  const int64_t blocks = (tiles + tb - 1) / tb;
  const int threads = omp_get_max_threads();
  float* acc = (float*)calloc((size_t)threads * 16 * plane, sizeof(float));
  if (!acc) return 0;
  int ok = 1, team = 1;
  const int blas = serial_blas_begin();
#pragma omp parallel num_threads(threads)
  {
    float* V = team_scratch(16 * (vs + zs) + 16 * c, &ok);
    float* Z = V ? V + 16 * vs : NULL;
    float* patch = V ? Z + 16 * zs : NULL;
    float* mine = acc + (int64_t)omp_get_thread_num() * 16 * plane;
#pragma omp single
    team = omp_get_num_threads();
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; blk++) {
      if (!V) continue;
      const int64_t t0 = blk * tb, nt = t0 + tb < tiles ? tb : tiles - t0;
      for (int64_t t = 0; t < nt; t++) {
        int64_t b, oy, ox;
        winograd_tile(g, t0 + t, &b, &oy, &ox);
        winograd_tile_input(g, x, t0 + t, patch, V + t * c, vs);
        const int rows = oy + 1 < g->oh ? 2 : 1, cols = ox + 1 < g->ow ? 2 : 1;
        winograd_output_grad(dy + ((b * g->oh + oy) * g->ow + ox) * oc, g->ow * oc, oc, rows, cols, Z + t * oc, zs);
      }
      for (int e = 0; e < 16; e++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)c, (int)oc, (int)nt, 1.0f, V + e * vs, (int)c,
                    Z + e * zs, (int)oc, 1.0f, mine + e * plane, (int)oc);
    }
  }
  serial_blas_end(blas);
  add_team_sums(acc, team, 16 * plane);
  if (ok) winograd_filters_grad(g, acc, dw);
  free(acc);
  return ok;
}

/* y = act(conv(x, w) + bias), tile by tile: each thread builds the columns of a tile of output rows and
   multiplies them by the filter, then applies bias and activation while the tile is in cache. Returns 0 when
   out of memory. */
static int conv_forward(const ConvGeom* g, const float* x, const float* w, float* y, const float* bias, int act,
                        float alpha) {
  const int64_t K = g->kh * g->kw * g->c, rows = g->n * g->oh * g->ow, oc = g->oc;
  if (is_pointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)oc, (int)g->c, 1.0f, x, (int)g->c, w,
                (int)oc, 0.0f, y, (int)oc);
    if (bias || act)
#pragma omp parallel for schedule(static) if (rows * oc > parallel_min)
      for (int64_t r = 0; r < rows; r++) bias_act_rows(y + r * oc, 1, oc, bias, act, alpha);
    return 1;
  }
  if (winograd_fits(g)) return conv_winograd(g, x, w, y, bias, act, alpha);
  const int64_t T = tile_rows(K), tiles = (rows + T - 1) / T;
  int ok = 1;
  const int blas = serial_blas_begin();
#pragma omp parallel
  {
    float* col = team_scratch(T * K, &ok);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; t++) {
      if (!col) continue;
      int64_t r0 = t * T, r1 = r0 + T < rows ? r0 + T : rows;
      im2col_rows(g, x, r0, r1, col);
      float* yt = y + r0 * oc;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), (int)oc, (int)K, 1.0f, col, (int)K,
                  w, (int)oc, 0.0f, yt, (int)oc);
      if (bias || act) bias_act_rows(yt, r1 - r0, oc, bias, act, alpha);
    }
  }
  serial_blas_end(blas);
  return ok;
}

/* conv2d(geom[15], x, w, y[, bias|null, act, alpha]): y = act(conv + bias), act as in biasActivation. */
static napi_value Conv2d(napi_env env, napi_callback_info info) {
  size_t argc = 21;
  napi_value argv[21];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 18) {
    napi_throw_error(env, NULL, "ocrflow_blas: expected 18 or 21 arguments");
    return NULL;
  }
  ConvGeom g;
  read_geom(env, argv, &g);
  F32(15, x);
  F32(16, w);
  F32(17, y);
  float* bias = NULL;
  int act = 0;
  float alpha = 0;
  if (argc >= 21) {
    if (!get_f32_or_null(env, argv[18], &bias)) {
      napi_throw_type_error(env, NULL, "ocrflow_blas: bias must be a Float32Array or null");
      return NULL;
    }
    act = (int)get_i(env, argv[19]);
    alpha = (float)get_d(env, argv[20]);
  }
  if (!conv_forward(&g, x, w, y, bias, act, alpha)) napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
  return NULL;
}

/* conv2dBackpropInput(geom[15], dy, w, dx): dx must be zero-filled by the caller. */
static napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  ARGS(18);
  ConvGeom g;
  read_geom(env, argv, &g);
  F32(15, dy);
  F32(16, w);
  F32(17, dx);
  const int64_t K = g.kh * g.kw * g.c;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(g.n * g.h * g.w), (int)g.c, (int)g.oc, 1.0f, dy,
                (int)g.oc, w, (int)g.oc, 0.0f, dx, (int)g.c);
    return NULL;
  }
  if (g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1) {
    /* With stride 1, dx is the convolution of dy with the filter rotated by 180 degrees and its channels
       swapped, padded by kh - 1 - pt: the tiled forward path, without col2im's pass over memory. */
    float* wr = (float*)malloc(K * g.oc * sizeof(float));
    if (!wr) {
      napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
      return NULL;
    }
    for (int64_t ky = 0; ky < g.kh; ky++)
      for (int64_t kx = 0; kx < g.kw; kx++)
        for (int64_t ci = 0; ci < g.c; ci++)
          for (int64_t co = 0; co < g.oc; co++)
            wr[((ky * g.kw + kx) * g.oc + co) * g.c + ci] =
                w[(((g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)) * g.c + ci) * g.oc + co];
    ConvGeom t = {g.n, g.oh, g.ow, g.oc, g.kh, g.kw, g.c, 1, 1, 1, 1, g.kh - 1 - g.pt, g.kw - 1 - g.pl, g.h, g.w};
    int ok = conv_forward(&t, dy, wr, dx, NULL, 0, 0);
    free(wr);
    if (!ok) napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
    return NULL;
  }
  /* Strided: each thread takes whole images, so that no two threads add into one pixel, and multiplies and
     adds back one image's columns at a time, while they are in cache. */
  const int64_t rows = g.oh * g.ow;
  int ok = 1;
  const int blas = serial_blas_begin();
#pragma omp parallel
  {
    float* col = team_scratch(rows * K, &ok);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < g.n; b++) {
      if (!col) continue;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)K, (int)g.oc, 1.0f, dy + b * rows * g.oc,
                  (int)g.oc, w, (int)g.oc, 0.0f, col, (int)K);
      col2im_image(&g, col, b, dx);
    }
  }
  serial_blas_end(blas);
  if (!ok) napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
  return NULL;
}

/* conv2dBackpropFilter(geom[15], x, dy, dw): each thread sums col^T dy over its tiles into its own buffer;
   the buffers are then added in thread order, so the result does not depend on timing. */
static napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  ARGS(18);
  ConvGeom g;
  read_geom(env, argv, &g);
  F32(15, x);
  F32(16, dy);
  F32(17, dw);
  const int64_t K = g.kh * g.kw * g.c, rows = g.n * g.oh * g.ow, oc = g.oc;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)g.c, (int)oc, (int)rows, 1.0f, x, (int)g.c, dy,
                (int)oc, 0.0f, dw, (int)oc);
    return NULL;
  }
  if (winograd_fits(&g)) {
    memset(dw, 0, K * oc * sizeof(float));
    if (!conv_winograd_filter_grad(&g, x, dy, dw)) napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
    return NULL;
  }
  const int64_t T = tile_rows(K), tiles = (rows + T - 1) / T;
  const int threads = omp_get_max_threads();
  float* acc = (float*)calloc((size_t)threads * K * oc, sizeof(float));
  if (!acc) {
    napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
    return NULL;
  }
  int ok = 1, team = 1;
  const int blas = serial_blas_begin();
#pragma omp parallel num_threads(threads)
  {
    float* col = team_scratch(T * K, &ok);
    float* mine = acc + (int64_t)omp_get_thread_num() * K * oc;
#pragma omp single
    team = omp_get_num_threads();
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; t++) {
      if (!col) continue;
      int64_t r0 = t * T, r1 = r0 + T < rows ? r0 + T : rows;
      im2col_rows(&g, x, r0, r1, col);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)oc, (int)(r1 - r0), 1.0f, col, (int)K,
                  dy + r0 * oc, (int)oc, 1.0f, mine, (int)oc);
    }
  }
  serial_blas_end(blas);
  add_team_sums(acc, team, K * oc);
  memcpy(dw, acc, K * oc * sizeof(float));
  free(acc);
  if (!ok) napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
  return NULL;
}

/* ------------------------------------------------------------------------------------------------ */
/* Memory-bound kernels                                                                              */

/* biasActivation(y, rows, cols, bias|null, act, alpha): in place. act: 0 linear, 1 relu, 2 relu6,
   3 leakyrelu(alpha), 4 sigmoid, 5 elu. */
static napi_value BiasActivation(napi_env env, napi_callback_info info) {
  ARGS(6);
  F32(0, y);
  int64_t rows = get_i(env, argv[1]), cols = get_i(env, argv[2]);
  float* bias;
  if (!get_f32_or_null(env, argv[3], &bias)) {
    napi_throw_type_error(env, NULL, "ocrflow_blas: bias must be a Float32Array or null");
    return NULL;
  }
  int act = (int)get_i(env, argv[4]);
  float alpha = (float)get_d(env, argv[5]);
#pragma omp parallel for schedule(static) if (rows * cols > parallel_min)
  for (int64_t r = 0; r < rows; r++) bias_act_rows(y + r * cols, 1, cols, bias, act, alpha);
  return NULL;
}

/* softmaxRows(x, y, rows, cols) */
static napi_value SoftmaxRows(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, x);
  F32(1, y);
  int64_t rows = get_i(env, argv[2]), cols = get_i(env, argv[3]);
#pragma omp parallel for schedule(static) if (rows * cols > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    const float* a = x + r * cols;
    float* o = y + r * cols;
    float m = -INFINITY;
    for (int64_t c = 0; c < cols; c++) m = a[c] > m ? a[c] : m;
    float s = 0;
    for (int64_t c = 0; c < cols; c++) {
      o[c] = fast_expf(a[c] - m);
      s += o[c];
    }
    float inv = 1.0f / s;
    for (int64_t c = 0; c < cols; c++) o[c] *= inv;
  }
  return NULL;
}

/* reduce(x, y, outer, mid, inner, op): x viewed as [outer, mid, inner], reduced over mid into
   y [outer, inner]. op: 0 sum, 1 max, 2 min, 3 mean. */
static napi_value Reduce(napi_env env, napi_callback_info info) {
  ARGS(6);
  F32(0, x);
  F32(1, y);
  int64_t outer = get_i(env, argv[2]), mid = get_i(env, argv[3]), inner = get_i(env, argv[4]);
  int op = (int)get_i(env, argv[5]);
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer * mid > parallel_min)
    for (int64_t o = 0; o < outer; o++) {
      const float* a = x + o * mid;
      float acc = op == 1 ? -INFINITY : (op == 2 ? INFINITY : 0.0f);
      if (op == 1)
        for (int64_t m = 0; m < mid; m++) acc = a[m] > acc ? a[m] : acc;
      else if (op == 2)
        for (int64_t m = 0; m < mid; m++) acc = a[m] < acc ? a[m] : acc;
      else
        for (int64_t m = 0; m < mid; m++) acc += a[m];
      y[o] = op == 3 ? acc / (float)mid : acc;
    }
    return NULL;
  }
  /* Reducing a middle or leading axis: split (outer x blocks of the inner axis) across threads. */
  const int64_t block = 256;
  const int64_t nblocks = (inner + block - 1) / block;
#pragma omp parallel for schedule(static) if (outer * mid * inner > parallel_min)
  for (int64_t t = 0; t < outer * nblocks; t++) {
    int64_t o = t / nblocks, i0 = (t % nblocks) * block;
    int64_t len = inner - i0 < block ? inner - i0 : block;
    float* out = y + o * inner + i0;
    const float* a = x + o * mid * inner + i0;
    memcpy(out, a, len * sizeof(float));
    for (int64_t m = 1; m < mid; m++) {
      const float* row = a + m * inner;
      if (op == 1)
        for (int64_t i = 0; i < len; i++) out[i] = row[i] > out[i] ? row[i] : out[i];
      else if (op == 2)
        for (int64_t i = 0; i < len; i++) out[i] = row[i] < out[i] ? row[i] : out[i];
      else
        for (int64_t i = 0; i < len; i++) out[i] += row[i];
    }
    if (op == 3)
      for (int64_t i = 0; i < len; i++) out[i] /= (float)mid;
  }
  return NULL;
}

/* binary(a, b, y, shape[4], stridesA[4], stridesB[4], op): y (contiguous, shape) = a op b, where a and b are
   read through strides (0 on broadcast axes). op: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min,
   6 squared difference, 7 pow. */
static int read_i64_array(napi_env env, napi_value arr, int64_t* out, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok) return 0;
    out[i] = get_i(env, v);
  }
  return 1;
}

static napi_value Binary(napi_env env, napi_callback_info info) {
  ARGS(7);
  F32(0, a);
  F32(1, b);
  F32(2, y);
  int64_t sh[4], sa[4], sb[4];
  if (!read_i64_array(env, argv[3], sh, 4) || !read_i64_array(env, argv[4], sa, 4) ||
      !read_i64_array(env, argv[5], sb, 4)) {
    napi_throw_type_error(env, NULL, "ocrflow_blas: binary expects three arrays of 4 integers");
    return NULL;
  }
  int op = (int)get_i(env, argv[6]);
  const int64_t rows = sh[0] * sh[1] * sh[2], inner = sh[3];
  const int64_t ia = sa[3], ib = sb[3];
#pragma omp parallel for schedule(static) if (rows * inner > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    int64_t i2 = r % sh[2], i1 = (r / sh[2]) % sh[1], i0 = r / (sh[2] * sh[1]);
    const float* pa = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
    const float* pb = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
    float* out = y + r * inner;
#define LOOP(expr)                                                                                       \
  if (ia == 1 && ib == 1) {                                                                              \
    for (int64_t i = 0; i < inner; i++) {                                                                \
      float u = pa[i], v = pb[i];                                                                        \
      out[i] = (expr);                                                                                   \
    }                                                                                                    \
  } else {                                                                                               \
    for (int64_t i = 0; i < inner; i++) {                                                                \
      float u = pa[i * ia], v = pb[i * ib];                                                              \
      out[i] = (expr);                                                                                   \
    }                                                                                                    \
  }
    switch (op) {
      case 0: LOOP(u + v) break;
      case 1: LOOP(u - v) break;
      case 2: LOOP(u * v) break;
      case 3: LOOP(u / v) break;
      case 4: LOOP(u > v ? u : v) break;
      case 5: LOOP(u < v ? u : v) break;
      case 6: LOOP((u - v) * (u - v)) break;
      case 7: LOOP(powf(u, v)) break;
      default: break;
    }
#undef LOOP
  }
  return NULL;
}

/* unary(x, y, n, op, alpha): 0 relu, 1 exp, 2 log, 3 sqrt, 4 rsqrt, 5 tanh, 6 sigmoid, 7 neg,
   8 square, 9 step (x > 0 ? 1 : alpha), 10 abs, 11 erf, 12 reciprocal, 13 floor, 14 ceil. */
static napi_value Unary(napi_env env, napi_callback_info info) {
  ARGS(5);
  F32(0, x);
  F32(1, y);
  int64_t n = get_i(env, argv[2]);
  int op = (int)get_i(env, argv[3]);
  float alpha = (float)get_d(env, argv[4]);
#define ULOOP(expr)                                                                                      \
  _Pragma("omp parallel for schedule(static) if (n > parallel_min)") for (int64_t i = 0; i < n; i++) {         \
    float v = x[i];                                                                                      \
    y[i] = (expr);                                                                                       \
  }
  switch (op) {
    case 0: ULOOP(v > 0 ? v : 0) break;
    case 1: ULOOP(fast_expf(v)) break;
    case 2: ULOOP(logf(v)) break;
    case 3: ULOOP(sqrtf(v)) break;
    case 4: ULOOP(1.0f / sqrtf(v)) break;
    case 5: ULOOP(1.0f - 2.0f / (1.0f + fast_expf(2.0f * v))) break; /* tanhf is several times slower */
    case 6: ULOOP(1.0f / (1.0f + fast_expf(-v))) break;
    case 7: ULOOP(-v) break;
    case 8: ULOOP(v * v) break;
    case 9: ULOOP(v > 0 ? 1.0f : (v != v ? v : alpha)) break;
    case 10: ULOOP(fabsf(v)) break;
    case 11: ULOOP(erff(v)) break;
    case 12: ULOOP(1.0f / v) break;
    case 13: ULOOP(floorf(v)) break;
    case 14: ULOOP(ceilf(v)) break;
    default: break;
  }
#undef ULOOP
  return NULL;
}

/* transpose(x, y, shape[], perm[]): general permutation, parallel over the output's leading index. */
static napi_value Transpose(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, x);
  F32(1, y);
  uint32_t rank;
  CHECK(napi_get_array_length(env, argv[2], &rank));
  if (rank > 8) {
    napi_throw_error(env, NULL, "ocrflow_blas: transpose supports rank <= 8");
    return NULL;
  }
  int64_t shape[8], perm[8], instride[8], oshape[8], ostride_in[8];
  for (uint32_t i = 0; i < rank; i++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[2], i, &v));
    shape[i] = get_i(env, v);
    CHECK(napi_get_element(env, argv[3], i, &v));
    perm[i] = get_i(env, v);
  }
  instride[rank - 1] = 1;
  for (int i = (int)rank - 2; i >= 0; i--) instride[i] = instride[i + 1] * shape[i + 1];
  int64_t total = 1;
  for (uint32_t i = 0; i < rank; i++) {
    oshape[i] = shape[perm[i]];
    ostride_in[i] = instride[perm[i]];
    total *= oshape[i];
  }
  int64_t inner = oshape[rank - 1], inner_stride = ostride_in[rank - 1];
  int64_t rows = total / (inner ? inner : 1);
#pragma omp parallel for schedule(static) if (total > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    int64_t rem = r, src = 0;
    for (int i = (int)rank - 2; i >= 0; i--) {
      int64_t idx = rem % oshape[i];
      rem /= oshape[i];
      src += idx * ostride_in[i];
    }
    float* out = y + r * inner;
    if (inner_stride == 1) {
      memcpy(out, x + src, inner * sizeof(float));
    } else {
      for (int64_t i = 0; i < inner; i++) out[i] = x[src + i * inner_stride];
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------------------------------------ */
/* Max pooling (NHWC), with the gradient routed to the first maximum of each window like tfjs' cpu.   */

/* maxPool(geom[15] with kh, kw = window and oc = c, x, y) */
static napi_value MaxPool(napi_env env, napi_callback_info info) {
  ARGS(17);
  ConvGeom g;
  read_geom(env, argv, &g);
  F32(15, x);
  F32(16, y);
  const int64_t C = g.c;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < g.n * g.oh; r++) {
    int64_t b = r / g.oh, oy = r % g.oh;
    const float* img = x + b * g.h * g.w * C;
    for (int64_t ox = 0; ox < g.ow; ox++) {
      float* out = y + ((b * g.oh + oy) * g.ow + ox) * C;
      for (int64_t ch = 0; ch < C; ch++) out[ch] = -INFINITY;
      for (int64_t ky = 0; ky < g.kh; ky++) {
        int64_t iy = oy * g.sh - g.pt + ky * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        for (int64_t kx = 0; kx < g.kw; kx++) {
          int64_t ix = ox * g.sw - g.pl + kx * g.dw;
          if (ix < 0 || ix >= g.w) continue;
          const float* p = img + (iy * g.w + ix) * C;
          for (int64_t ch = 0; ch < C; ch++) out[ch] = p[ch] > out[ch] ? p[ch] : out[ch];
        }
      }
    }
  }
  return NULL;
}

/* maxPoolGrad(geom[15], x, dy, dx): dx must be zero-filled. Parallel over images (windows may overlap);
   channels are innermost, so each window position is one contiguous compare over all channels. */
static napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  ARGS(18);
  ConvGeom g;
  read_geom(env, argv, &g);
  F32(15, x);
  F32(16, dy);
  F32(17, dx);
  const int64_t C = g.c;
#pragma omp parallel
  {
    float* best = (float*)malloc(C * sizeof(float));
    int64_t* at = (int64_t*)malloc(C * sizeof(int64_t));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < g.n; b++) {
      const float* img = x + b * g.h * g.w * C;
      float* dimg = dx + b * g.h * g.w * C;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const float* d = dy + ((b * g.oh + oy) * g.ow + ox) * C;
          int first = 1;
          for (int64_t ky = 0; ky < g.kh; ky++) {
            int64_t iy = oy * g.sh - g.pt + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kx = 0; kx < g.kw; kx++) {
              int64_t ix = ox * g.sw - g.pl + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const int64_t base = (iy * g.w + ix) * C;
              const float* p = img + base;
              if (first) {
                for (int64_t ch = 0; ch < C; ch++) {
                  best[ch] = p[ch];
                  at[ch] = base + ch;
                }
                first = 0;
              } else {
                for (int64_t ch = 0; ch < C; ch++) {
                  if (p[ch] > best[ch]) {
                    best[ch] = p[ch];
                    at[ch] = base + ch;
                  }
                }
              }
            }
          }
          if (!first)
            for (int64_t ch = 0; ch < C; ch++) dimg[at[ch]] += d[ch];
        }
      }
    }
    free(best);
    free(at);
  }
  return NULL;
}

/* adam(value, grad, m, v, outValue, outM, outV, lr, beta1, beta2, epsilon, c1, c2): one fused pass of
   tfjs' Adam update, where c1 = 1 - beta1^t and c2 = 1 - beta2^t. Same arithmetic order as tfjs. */
static napi_value Adam(napi_env env, napi_callback_info info) {
  ARGS(12);
  size_t n;
  float *w, *g, *m, *v, *ow, *om, *ov;
  if (!get_f32(env, argv[0], &w, &n) || !get_f32(env, argv[1], &g, NULL) || !get_f32(env, argv[2], &m, NULL) ||
      !get_f32(env, argv[3], &v, NULL) || !get_f32(env, argv[4], &ow, NULL) || !get_f32(env, argv[5], &om, NULL) ||
      !get_f32(env, argv[6], &ov, NULL)) {
    napi_throw_type_error(env, NULL, "ocrflow_blas: adam expects seven Float32Arrays");
    return NULL;
  }
  const float lr = (float)get_d(env, argv[7]), b1 = (float)get_d(env, argv[8]), b2 = (float)get_d(env, argv[9]);
  const float eps = (float)get_d(env, argv[10]);
  napi_value rest = argv[11];
  napi_value c1v, c2v;
  CHECK(napi_get_element(env, rest, 0, &c1v));
  CHECK(napi_get_element(env, rest, 1, &c2v));
  const float c1 = (float)get_d(env, c1v), c2 = (float)get_d(env, c2v);
  const float nb1 = 1.0f - b1, nb2 = 1.0f - b2;
#pragma omp parallel for schedule(static) if ((int64_t)n > parallel_min)
  for (int64_t i = 0; i < (int64_t)n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * nb1;
    float vi = v[i] * b2 + (gi * gi) * nb2;
    om[i] = mi;
    ov[i] = vi;
    ow[i] = ((mi / c1) / (sqrtf(vi / c2) + eps)) * -lr + w[i];
  }
  return NULL;
}

/* gelu(x, y, t, n): GELU, tanh approximation, in one pass: y = 0.5 x (1 + t) with t = tanh(c (x + 0.044715 x^3)),
   c = sqrt(2 / pi). t (null: not kept) is saved for the gradient. Composed of tfjs kernels it took 8 passes. */
static napi_value Gelu(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, x);
  F32(1, y);
  float* t;
  if (!get_f32_or_null(env, argv[2], &t)) {
    napi_throw_type_error(env, NULL, "ocrflow_blas: gelu argument 2 must be a Float32Array or null");
    return NULL;
  }
  int64_t n = get_i(env, argv[3]);
  const float c = 0.7978845608028654f;
  /* Without t, the tanh term goes to y and is overwritten: one loop body, no branch in it. */
  float* th_out = t ? t : y;
#pragma omp parallel for schedule(static) if (n > parallel_min)
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float th = 1.0f - 2.0f / (1.0f + fast_expf(2.0f * c * (v + 0.044715f * v * v * v)));
    th_out[i] = th;
    y[i] = 0.5f * v * (1.0f + th);
  }
  return NULL;
}

/* geluGrad(dy, x, t, dx, n): dx = dy (0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2)). */
static napi_value GeluGrad(napi_env env, napi_callback_info info) {
  ARGS(5);
  F32(0, dy);
  F32(1, x);
  F32(2, t);
  F32(3, dx);
  int64_t n = get_i(env, argv[4]);
  const float half_c = 0.5f * 0.7978845608028654f;
#pragma omp parallel for schedule(static) if (n > parallel_min)
  for (int64_t i = 0; i < n; i++) {
    float v = x[i], th = t[i];
    float slope = (v * v * (3.0f * 0.044715f) + 1.0f) * half_c;
    dx[i] = dy[i] * ((th + 1.0f) * 0.5f + v * (1.0f - th * th) * slope);
  }
  return NULL;
}

/* layerNorm(x, gamma, beta, y, xhat, rstd, rows, d, eps): per row of d, y = xhat * gamma + beta with
   xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps) (two-pass variance); xhat and rstd (null: not kept) are
   saved for the gradient. Composed of tfjs kernels it took 9 kernels and passes. */
static napi_value LayerNorm(napi_env env, napi_callback_info info) {
  ARGS(9);
  F32(0, x);
  F32(1, gamma);
  F32(2, beta);
  F32(3, y);
  float *xhat, *rstd;
  if (!get_f32_or_null(env, argv[4], &xhat) || !get_f32_or_null(env, argv[5], &rstd)) {
    napi_throw_type_error(env, NULL, "ocrflow_blas: layerNorm arguments 4 and 5 must be Float32Arrays or null");
    return NULL;
  }
  int64_t rows = get_i(env, argv[6]), d = get_i(env, argv[7]);
  const float eps = (float)get_d(env, argv[8]);
#pragma omp parallel for schedule(static) if (rows * d > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    const float* a = x + r * d;
    float* o = y + r * d;
    float sum = 0;
    for (int64_t c = 0; c < d; c++) sum += a[c];
    const float mean = sum / (float)d;
    float sq = 0;
    for (int64_t c = 0; c < d; c++) sq += (a[c] - mean) * (a[c] - mean);
    const float rs = 1.0f / sqrtf(sq / (float)d + eps);
    if (rstd) rstd[r] = rs;
    float* h = xhat ? xhat + r * d : NULL;
    for (int64_t c = 0; c < d; c++) {
      const float v = (a[c] - mean) * rs;
      o[c] = v * gamma[c] + beta[c];
    }
    if (h)
      for (int64_t c = 0; c < d; c++) h[c] = (a[c] - mean) * rs;
  }
  return NULL;
}

/* layerNormGrad(dy, xhat, rstd, gamma, dx, dgamma, dbeta, rows, d): with g = dy * gamma,
   dx = (g - mean(g) - xhat * mean(g * xhat)) * rstd per row; dgamma = sum over rows of dy * xhat, dbeta of dy. */
static napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  ARGS(9);
  F32(0, dy);
  F32(1, xhat);
  F32(2, rstd);
  F32(3, gamma);
  F32(4, dx);
  F32(5, dgamma);
  F32(6, dbeta);
  int64_t rows = get_i(env, argv[7]), d = get_i(env, argv[8]);
#pragma omp parallel for schedule(static) if (rows * d > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    const float* gy = dy + r * d;
    const float* h = xhat + r * d;
    float* o = dx + r * d;
    float m1 = 0, m2 = 0;
    for (int64_t c = 0; c < d; c++) {
      const float g = gy[c] * gamma[c];
      m1 += g;
      m2 += g * h[c];
    }
    m1 /= (float)d;
    m2 /= (float)d;
    const float rs = rstd[r];
    for (int64_t c = 0; c < d; c++) o[c] = (gy[c] * gamma[c] - m1 - h[c] * m2) * rs;
  }
  memset(dgamma, 0, (size_t)d * sizeof(float));
  memset(dbeta, 0, (size_t)d * sizeof(float));
  for (int64_t r = 0; r < rows; r++) {
    const float* gy = dy + r * d;
    const float* h = xhat + r * d;
    for (int64_t c = 0; c < d; c++) {
      dgamma[c] += gy[c] * h[c];
      dbeta[c] += gy[c];
    }
  }
  return NULL;
}

/* Per-channel sums over the rows of a and b [rows, C]: s1 = sum of a, s2 = sum of a * b. Each thread sums its
   rows in double; the threads' sums are added in a fixed order. 0 = out of memory. */
static int channel_sums(const float* a, const float* b, int64_t rows, int64_t C, double* s1, double* s2) {
  const int threads = omp_get_max_threads();
  double* part = (double*)calloc((size_t)threads * 2 * C, sizeof(double));
  if (!part) return 0;
#pragma omp parallel num_threads(threads) if (rows * C > parallel_min)
  {
    double* p1 = part + (int64_t)omp_get_thread_num() * 2 * C;
    double* p2 = p1 + C;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float* x = a + r * C;
      const float* y = b + r * C;
      for (int64_t c = 0; c < C; c++) {
        p1[c] += x[c];
        p2[c] += (double)x[c] * y[c];
      }
    }
  }
  for (int64_t c = 0; c < C; c++) s1[c] = s2[c] = 0;
  for (int t = 0; t < threads; t++)
    for (int64_t c = 0; c < C; c++) {
      s1[c] += part[(int64_t)t * 2 * C + c];
      s2[c] += part[(int64_t)t * 2 * C + C + c];
    }
  free(part);
  return 1;
}

/* batchNormTrain(x, gamma, beta, y, xhat, mean, variance, rstd, rows, C, eps): batch norm over the rows of
   x [rows, C] with the batch's moments: y = xhat * gamma + beta, xhat = (x - mean) * rstd, rstd =
   1 / sqrt(variance + eps), variance the biased one. Two passes over x; composed of tfjs kernels it took 7. */
static napi_value BatchNormTrain(napi_env env, napi_callback_info info) {
  ARGS(11);
  F32(0, x);
  F32(1, gamma);
  F32(2, beta);
  F32(3, y);
  F32(4, xhat);
  F32(5, mean);
  F32(6, variance);
  F32(7, rstd);
  int64_t rows = get_i(env, argv[8]), C = get_i(env, argv[9]);
  const double eps = get_d(env, argv[10]);
  double* s = (double*)malloc(2 * C * sizeof(double));
  if (!s || !channel_sums(x, x, rows, C, s, s + C)) {
    free(s);
    napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
    return NULL;
  }
  for (int64_t c = 0; c < C; c++) {
    const double m = rows ? s[c] / rows : 0, v = rows ? s[C + c] / rows - m * m : 0;
    mean[c] = (float)m;
    variance[c] = (float)(v > 0 ? v : 0);
    rstd[c] = (float)(1.0 / sqrt((v > 0 ? v : 0) + eps));
  }
  free(s);
#pragma omp parallel for schedule(static) if (rows * C > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    const float* a = x + r * C;
    float* h = xhat + r * C;
    float* o = y + r * C;
    for (int64_t c = 0; c < C; c++) {
      const float v = (a[c] - mean[c]) * rstd[c];
      h[c] = v;
      o[c] = v * gamma[c] + beta[c];
    }
  }
  return NULL;
}

/* batchNormTrainGrad(dy, xhat, gamma, rstd, dx, dgamma, dbeta, rows, C): dbeta = sum of dy, dgamma = sum of
   dy * xhat over the rows, dx = gamma * rstd * (dy - dbeta / rows - xhat * dgamma / rows). */
static napi_value BatchNormTrainGrad(napi_env env, napi_callback_info info) {
  ARGS(9);
  F32(0, dy);
  F32(1, xhat);
  F32(2, gamma);
  F32(3, rstd);
  F32(4, dx);
  F32(5, dgamma);
  F32(6, dbeta);
  int64_t rows = get_i(env, argv[7]), C = get_i(env, argv[8]);
  double* s = (double*)malloc(2 * C * sizeof(double));
  float* k = (float*)malloc(3 * C * sizeof(float));
  if (!s || !k || !channel_sums(dy, xhat, rows, C, s, s + C)) {
    free(s);
    free(k);
    napi_throw_error(env, NULL, "ocrflow_blas: out of memory");
    return NULL;
  }
  float *scale = k, *mb = k + C, *mg = k + 2 * C;
  for (int64_t c = 0; c < C; c++) {
    dbeta[c] = (float)s[c];
    dgamma[c] = (float)s[C + c];
    scale[c] = gamma[c] * rstd[c];
    mb[c] = rows ? (float)(s[c] / rows) : 0;
    mg[c] = rows ? (float)(s[C + c] / rows) : 0;
  }
  free(s);
#pragma omp parallel for schedule(static) if (rows * C > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    const float* g = dy + r * C;
    const float* h = xhat + r * C;
    float* o = dx + r * C;
    for (int64_t c = 0; c < C; c++) o[c] = scale[c] * (g[c] - mb[c] - h[c] * mg[c]);
  }
  free(k);
  return NULL;
}

/* tile(x, y, shape[], reps[]): y = x repeated reps[d] times along each axis (rank <= 8). */
static napi_value Tile(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, x);
  F32(1, y);
  uint32_t rank;
  CHECK(napi_get_array_length(env, argv[2], &rank));
  if (rank < 1 || rank > 8) {
    napi_throw_error(env, NULL, "ocrflow_blas: tile supports rank 1 to 8");
    return NULL;
  }
  int64_t shape[8], reps[8], oshape[8];
  if (!read_i64_array(env, argv[2], shape, rank) || !read_i64_array(env, argv[3], reps, rank)) {
    napi_throw_type_error(env, NULL, "ocrflow_blas: tile expects two integer arrays");
    return NULL;
  }
  int64_t rows = 1;
  for (uint32_t i = 0; i < rank; i++) {
    oshape[i] = shape[i] * reps[i];
    if (i + 1 < rank) rows *= oshape[i];
  }
  const int64_t inner = shape[rank - 1], outer_inner = oshape[rank - 1];
#pragma omp parallel for schedule(static) if (rows * outer_inner > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    int64_t rem = r, src = 0, stride = inner;
    for (int i = (int)rank - 2; i >= 0; i--) {
      int64_t idx = rem % oshape[i];
      rem /= oshape[i];
      src += (idx % shape[i]) * stride;
      stride *= shape[i];
    }
    float* out = y + r * outer_inner;
    for (int64_t k = 0; k < reps[rank - 1]; k++) memcpy(out + k * inner, x + src, inner * sizeof(float));
  }
  return NULL;
}

/* channelAffine(x, y, rows, cols, mul, add): y[r, c] = x[r, c] * mul[c] + add[c] (batch norm inference form). */
static napi_value ChannelAffine(napi_env env, napi_callback_info info) {
  ARGS(6);
  F32(0, x);
  F32(1, y);
  int64_t rows = get_i(env, argv[2]), cols = get_i(env, argv[3]);
  F32(4, mul);
  F32(5, add);
#pragma omp parallel for schedule(static) if (rows * cols > parallel_min)
  for (int64_t r = 0; r < rows; r++) {
    const float* a = x + r * cols;
    float* o = y + r * cols;
    for (int64_t c = 0; c < cols; c++) o[c] = a[c] * mul[c] + add[c];
  }
  return NULL;
}

/* dropoutMask(y, keepProb, seed): y[i] = 1/keep with probability keep, else 0, from a counter-based hash
   (splitmix64 of seed and i), so any thread count gives the same mask for a seed. */
static inline uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static napi_value DropoutMask(napi_env env, napi_callback_info info) {
  ARGS(3);
  size_t n;
  float* y;
  if (!get_f32(env, argv[0], &y, &n)) {
    napi_throw_type_error(env, NULL, "ocrflow_blas: dropoutMask expects a Float32Array");
    return NULL;
  }
  const double keep = get_d(env, argv[1]);
  const uint64_t seed = splitmix64((uint64_t)get_i(env, argv[2]));
  const float scale = (float)(1.0 / keep);
  /* u < keep with u uniform in [0, 1): compare the top 24 bits against keep * 2^24. */
  const uint32_t threshold = (uint32_t)(keep * 16777216.0);
#pragma omp parallel for schedule(static) if ((int64_t)n > parallel_min)
  for (int64_t i = 0; i < (int64_t)n; i++) {
    uint32_t u = (uint32_t)(splitmix64(seed ^ (uint64_t)i * 0xd1b54a32d192ed03ULL) >> 40);
    y[i] = u < threshold ? scale : 0.0f;
  }
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  ARGS(1);
  int n = (int)get_i(env, argv[0]);
  if (n > 0) {
    openblas_set_num_threads(n);
    omp_set_num_threads(n);
  }
  return NULL;
}

static napi_value SetParallelMin(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t n = get_i(env, argv[0]);
  if (n > 0) parallel_min = n;
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &r));
  return r;
}

static napi_value Config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &r));
  return r;
}

static napi_value Init(napi_env env, napi_value exports) {
  /* Every tfjs kernel output is a fresh ArrayBuffer (calloc). Above glibc's mmap threshold each one is new
     pages, and the page faults cost more than the kernel (15 ms to fault 16 MB here). Keep blocks up to
     32 MB (glibc's limit) on the heap and do not trim it, so freed buffers are reused. */
  const char* ma = getenv("OCRFLOW_NATIVE_MALLOC");
  if (!ma || strcmp(ma, "0") != 0) {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  }
  const char* pm = getenv("OCRFLOW_PARALLEL_MIN");
  if (pm && atoll(pm) > 0) parallel_min = atoll(pm);
  napi_property_descriptor props[] = {
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"conv2d", NULL, Conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropInput", NULL, Conv2dBackpropInput, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropFilter", NULL, Conv2dBackpropFilter, NULL, NULL, NULL, napi_default, NULL},
      {"biasActivation", NULL, BiasActivation, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxRows", NULL, SoftmaxRows, NULL, NULL, NULL, napi_default, NULL},
      {"reduce", NULL, Reduce, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, Binary, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, Unary, NULL, NULL, NULL, napi_default, NULL},
      {"transpose", NULL, Transpose, NULL, NULL, NULL, napi_default, NULL},
      {"maxPool", NULL, MaxPool, NULL, NULL, NULL, napi_default, NULL},
      {"maxPoolGrad", NULL, MaxPoolGrad, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, Adam, NULL, NULL, NULL, napi_default, NULL},
      {"tile", NULL, Tile, NULL, NULL, NULL, napi_default, NULL},
      {"gelu", NULL, Gelu, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, GeluGrad, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, LayerNorm, NULL, NULL, NULL, napi_default, NULL},
      {"batchNormTrain", NULL, BatchNormTrain, NULL, NULL, NULL, napi_default, NULL},
      {"batchNormTrainGrad", NULL, BatchNormTrainGrad, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, LayerNormGrad, NULL, NULL, NULL, napi_default, NULL},
      {"channelAffine", NULL, ChannelAffine, NULL, NULL, NULL, napi_default, NULL},
      {"dropoutMask", NULL, DropoutMask, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"setParallelMin", NULL, SetParallelMin, NULL, NULL, NULL, napi_default, NULL},
      {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, Config, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
