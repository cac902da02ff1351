package org.attention4j.cuda;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Host to device and back through the worker's pinned staging buffer, piece by piece, converting float32 to the
 * tensor's type on the way in and back on the way out. Each piece is synchronised before the buffer is reused,
 * so every method returns with the data in place.
 */
final class Transfers {
    private final long stagingLimit;

    Transfers(long stagingLimit) {
        this.stagingLimit = stagingLimit;
    }

    /** Uploads {@code n} floats from {@code src} (its position advances) to {@code dst}, converted to {@code type}. */
    void uploadFloats(Worker w, FloatBuffer src, long n, CUdeviceptr dst, DType type) {
        long per = Math.max(1, stagingLimit / type.bytes());
        for (long done = 0; done < n; ) {
            int piece = (int) Math.min(per, n - done);
            ByteBuffer st = w.staging((long) piece * type.bytes());
            if (type == DType.FP32) {
                st.asFloatBuffer().put(src.slice(src.position(), piece));
                src.position(src.position() + piece);
            } else {
                HalfFloats.encode(src, st, type, piece);
            }
            long bytes = (long) piece * type.bytes();
            JCudaDriver.cuMemcpyHtoDAsync(dst.withByteOffset(done * type.bytes()), w.pinned(), bytes, w.stream);
            w.sync();
            done += piece;
        }
    }

    /** Downloads {@code n} elements of {@code type} from {@code src} into {@code dst} as floats. */
    void downloadFloats(Worker w, CUdeviceptr src, DType type, long n, FloatBuffer dst) {
        long per = Math.max(1, stagingLimit / type.bytes());
        for (long done = 0; done < n; ) {
            int piece = (int) Math.min(per, n - done);
            long bytes = (long) piece * type.bytes();
            ByteBuffer st = w.staging(bytes);
            JCudaDriver.cuMemcpyDtoHAsync(w.pinned(), src.withByteOffset(done * type.bytes()), bytes, w.stream);
            w.sync();
            st.limit((int) bytes);
            if (type == DType.FP32) {
                dst.put(st.asFloatBuffer());
            } else {
                HalfFloats.decode(st, dst, type, piece);
            }
            done += piece;
        }
    }

    /** Uploads the remaining bytes of {@code src} (its position advances) to {@code dst} unchanged. */
    void uploadBytes(Worker w, ByteBuffer src, CUdeviceptr dst) {
        long n = src.remaining();
        for (long done = 0; done < n; ) {
            int piece = (int) Math.min(stagingLimit, n - done);
            ByteBuffer st = w.staging(piece);
            st.put(src.slice(src.position(), piece));
            src.position(src.position() + piece);
            JCudaDriver.cuMemcpyHtoDAsync(dst.withByteOffset(done), w.pinned(), piece, w.stream);
            w.sync();
            done += piece;
        }
    }

    /** Downloads {@code dst.remaining()} bytes from {@code src} into {@code dst} (its position advances). */
    void downloadBytes(Worker w, CUdeviceptr src, ByteBuffer dst) {
        long n = dst.remaining();
        for (long done = 0; done < n; ) {
            int piece = (int) Math.min(stagingLimit, n - done);
            ByteBuffer st = w.staging(piece);
            JCudaDriver.cuMemcpyDtoHAsync(w.pinned(), src.withByteOffset(done), piece, w.stream);
            w.sync();
            st.limit(piece);
            dst.put(st);
            done += piece;
        }
    }

    /** Uploads ints (kernel {@code int32} arrays). */
    void uploadInts(Worker w, int[] src, CUdeviceptr dst) {
        ByteBuffer b = ByteBuffer.allocate(src.length * 4).order(java.nio.ByteOrder.nativeOrder());
        b.asIntBuffer().put(src);
        uploadBytes(w, b, dst);
    }

    /** Uploads booleans as 0/1 bytes (the kernels' {@code uint8} masks). */
    void uploadBooleans(Worker w, boolean[] src, CUdeviceptr dst) {
        ByteBuffer b = ByteBuffer.allocate(src.length);
        for (boolean x : src) {
            b.put((byte) (x ? 1 : 0));
        }
        b.flip();
        uploadBytes(w, b, dst);
    }
}
