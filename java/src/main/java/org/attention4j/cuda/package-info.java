/**
 * The CUDA backend: cuBLAS strided-batched GEMMs through JCuda/JCublas 12.6 around the project's own kernels
 * (fused masks and softmax, RoPE), and fused FlashAttention-style kernels (O(N) memory, varlen, FlashDecoding over
 * a {@link org.attention4j.cuda.DeviceKvCache}, the LSE merge), with the same semantics as the CPU engines.
 *
 * <h2>Which path</h2>
 * A call runs the fused kernels when there is no boolean or float mask, {@code Dv == D <= 256} and the kernels
 * are in the fatbin (version 2, tensor cores, for FP16/BF16 on compute capability 8.0+; version 1 otherwise);
 * RoPE runs as a rotation pass before them and weights by a recompute pass after them. Everything else takes the
 * cuBLAS path. {@link org.attention4j.cuda.CudaPath} ({@code attention4j.cuda.path=auto|fused|cublas}) forces
 * one; {@link org.attention4j.cuda.CudaAttention#pathFor} says which a call takes and why.
 *
 * <h2>Entry points</h2>
 * {@link org.attention4j.cuda.CudaSupport#probe()} says whether CUDA can run here and, if not, what is missing
 * ({@code libcuda.so.1}, {@code libcublas.so.12}, a device, the kernels) and how to get it;
 * {@code AttentionEngine} with {@code Backend.AUTO} falls back to the CPU on that answer.
 * {@link org.attention4j.cuda.CudaAttention} computes attention on host tensors or on
 * {@link org.attention4j.cuda.DeviceTensor}s kept on the GPU; {@link org.attention4j.cuda.Precision} selects
 * FP32, TF32, FP16 or BF16 GEMMs (float32 accumulation and softmax always).
 *
 * <h2>Threads, contexts, streams, handles</h2>
 * One process-wide runtime per device retains the device's primary context (for the life of the JVM) and loads
 * the kernels once. Every thread that touches device memory makes that context current first (contexts are per
 * thread in CUDA). A call borrows a worker (one CUDA stream, one cuBLAS handle bound to it, one pinned staging
 * buffer) from a lock-free queue, creating one when all are busy, and gives it back when its stream is idle: no
 * handle is ever used by two threads at once and there is no global lock on the hot path. Device memory comes
 * from a caching allocator with lock-free size-class free lists shared by all workers; a block is returned only
 * after the stream that used it was synchronised.
 *
 * <h2>System properties</h2>
 * {@code attention4j.cuda.device} (ordinal, default 0), {@code attention4j.cuda.precision}
 * ({@code fp32|tf32|fp16|bf16}, default fp32), {@code attention4j.cuda.workspaceBytes} (score workspace per call,
 * default 1 GiB; larger problems run in chunks of whole (batch, head) pairs), {@code attention4j.cuda.stagingBytes}
 * (pinned buffer per worker, default 8 MiB), {@code attention4j.cuda.poison} (NaN-fill outputs first; tests),
 * {@code attention4j.cuda.path} ({@code auto|fused|cublas}, default auto).
 */
package org.attention4j.cuda;
