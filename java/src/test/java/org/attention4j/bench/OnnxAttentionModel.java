package org.attention4j.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The serialized bytes of a one-node ONNX model: {@code Y = Attention(Q, K, V)} from the default domain at opset
 * 23, IR version 10, with fixed float32 shapes
 * {@code Q [B, Hq, Nq, D]}, {@code K [B, Hkv, Nk, D]}, {@code V [B, Hkv, Nk, Dv]}, {@code Y [B, Hq, Nq, Dv]}.
 * The inputs are 4-D, so the operator reads the head counts from the shapes (its {@code q_num_heads} and
 * {@code kv_num_heads} attributes are only for 3-D inputs).
 *
 * <p>Written by hand with a minimal protobuf encoder so that the benchmark needs no protobuf or onnx library.
 * Field numbers are those of {@code onnx/onnx.proto} (proto2):
 * <pre>
 * ModelProto         ir_version=1 (int64)  producer_name=2  graph=7  opset_import=8
 * OperatorSetIdProto domain=1  version=2 (int64)
 * GraphProto         node=1  name=2  input=11  output=12
 * NodeProto          input=1  output=2  name=3  op_type=4  attribute=5  domain=7
 * AttributeProto     name=1  f=2 (float, fixed32)  i=3 (int64)  type=20 (AttributeType: FLOAT=1, INT=2)
 * ValueInfoProto     name=1  type=2
 * TypeProto          tensor_type=1
 * TypeProto.Tensor   elem_type=1 (TensorProto.DataType: FLOAT=1)  shape=2
 * TensorShapeProto   dim=1;  Dimension: dim_value=1 (int64)
 * </pre>
 */
final class OnnxAttentionModel {

    /** ONNX IR version 10 (ONNX 1.16+); ORT 1.23 reads up to 11. */
    static final long IR_VERSION = 10;
    /** The opset that introduced {@code Attention}. */
    static final long OPSET = 23;

    private static final int ELEM_FLOAT = 1;   // TensorProto.DataType.FLOAT
    private static final int ATTR_FLOAT = 1;   // AttributeProto.AttributeType.FLOAT
    private static final int ATTR_INT = 2;     // AttributeProto.AttributeType.INT

    private OnnxAttentionModel() {
    }

    /**
     * The model bytes.
     *
     * @param causal adds {@code is_causal=1} (ONNX's mask is top-left aligned: key j visible to query i when j <= i)
     * @param scale  adds {@code scale}; null leaves the operator's default {@code 1/sqrt(D)}
     */
    static byte[] build(int b, int hq, int hkv, int nq, int nk, int d, int dv, boolean causal, Float scale) {
        Proto node = new Proto()
                .string(1, "Q").string(1, "K").string(1, "V")         // input (repeated)
                .string(2, "Y")                                         // output
                .string(3, "attention")                                 // name
                .string(4, "Attention")                                 // op_type
                .string(7, "");                                         // domain: the default (ai.onnx)
        if (causal) {
            node.message(5, new Proto().string(1, "is_causal").varint(3, 1).varint(20, ATTR_INT));
        }
        if (scale != null) {
            node.message(5, new Proto().string(1, "scale").fixed32(2, Float.floatToRawIntBits(scale))
                    .varint(20, ATTR_FLOAT));
        }
        Proto graph = new Proto()
                .message(1, node)
                .string(2, "attention4j_bench")
                .message(11, tensorInfo("Q", b, hq, nq, d))
                .message(11, tensorInfo("K", b, hkv, nk, d))
                .message(11, tensorInfo("V", b, hkv, nk, dv))
                .message(12, tensorInfo("Y", b, hq, nq, dv));
        return new Proto()
                .varint(1, IR_VERSION)
                .string(2, "attention4j-bench")
                .message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, OPSET))
                .bytes();
    }

    /** A ValueInfoProto of a float32 tensor with fixed dimensions. */
    private static Proto tensorInfo(String name, long... dims) {
        Proto shape = new Proto();
        for (long dim : dims) {
            shape.message(1, new Proto().varint(1, dim));               // Dimension.dim_value
        }
        Proto tensor = new Proto().varint(1, ELEM_FLOAT).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }

    /** A protobuf message being written: fields are appended in call order (order is free in protobuf). */
    private static final class Proto {
        private static final int VARINT = 0;
        private static final int FIXED32 = 5;
        private static final int LENGTH_DELIMITED = 2;

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** An int32/int64/enum field (non-negative values here, so no sign extension question). */
        Proto varint(int field, long value) {
            tag(field, VARINT);
            rawVarint(value);
            return this;
        }

        /** A float field: 4 bytes, little-endian. */
        Proto fixed32(int field, int bits) {
            tag(field, FIXED32);
            for (int i = 0; i < 4; i++) {
                out.write((bits >>> (8 * i)) & 0xFF);
            }
            return this;
        }

        /** A string field (UTF-8, length-prefixed). */
        Proto string(int field, String s) {
            return lengthDelimited(field, s.getBytes(StandardCharsets.UTF_8));
        }

        /** An embedded message field (its bytes, length-prefixed). */
        Proto message(int field, Proto m) {
            return lengthDelimited(field, m.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private Proto lengthDelimited(int field, byte[] payload) {
            tag(field, LENGTH_DELIMITED);
            rawVarint(payload.length);
            out.write(payload, 0, payload.length);
            return this;
        }

        private void tag(int field, int wireType) {
            rawVarint(((long) field << 3) | wireType);
        }

        /** Base-128 varint: 7 bits a byte, low group first, high bit set on all but the last byte. */
        private void rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
