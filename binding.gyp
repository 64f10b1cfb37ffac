# node-gyp build of the native training backend's addon (native/ocrflow_blas.c): OpenBLAS + OpenMP.
# Prefers Debian's OpenMP build of OpenBLAS (libopenblas-openmp-dev), so GEMM and our element-wise loops
# share one thread pool; falls back to the default (pthreads) OpenBLAS.
{
  "variables": {
    "openblas_openmp_dir": "<!(node -e \"const d='/usr/lib/x86_64-linux-gnu/openblas-openmp';process.stdout.write(process.env.OCRFLOW_OPENBLAS_PTHREAD!=='1'&&require('fs').existsSync(d+'/libopenblas.so')?d:'')\")"
  },
  "targets": [
    {
      "target_name": "ocrflow_blas",
      "sources": ["native/ocrflow_blas.c"],
      "cflags": ["-O3", "-march=x86-64-v3", "-fno-trapping-math", "-fno-math-errno", "-fopenmp", "-std=gnu11", "-Wall"],
      "cflags!": ["-O2"],
      "ldflags": ["-fopenmp"],
      "conditions": [
        ["openblas_openmp_dir!=''", {
          "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-openmp"],
          "libraries": ["-L<(openblas_openmp_dir)", "-Wl,-rpath,<(openblas_openmp_dir)", "-lopenblas", "-lgomp"]
        }, {
          "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
          "libraries": ["-lopenblas", "-lgomp"]
        }]
      ]
    }
  ]
}
