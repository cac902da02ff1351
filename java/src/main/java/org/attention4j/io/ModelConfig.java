package org.attention4j.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.attention4j.Rope;
import org.attention4j.RopeScaling;
import org.attention4j.RopeStyle;

/**
 * A Hugging Face {@code config.json}: the hyperparameters a checkpoint does not hold (head counts, norm epsilon,
 * activation) and its RoPE as {@code transformers} reads it ({@code rope_theta}, partial rotary as
 * {@code partial_rotary_factor}, {@code rotary_pct} or {@code rotary_dim}, {@code rope_scaling} or
 * {@code rope_parameters} of type {@code default}, {@code linear}, {@code llama3} or {@code yarn}). Read strictly:
 * a key of the wrong type, or a RoPE type attention4j does not implement ({@code dynamic}, {@code longrope}), is an
 * {@link IllegalArgumentException} naming the file and the key. Combined configs (CLIP) hold their towers in
 * {@link #section}s ({@code text_config}, {@code vision_config}).
 */
public final class ModelConfig {
    /** A config is a few KB; anything much larger is not one. */
    private static final long MAX_BYTES = 16L << 20;

    private final Map<?, ?> root;
    private final String source;

    private ModelConfig(Map<?, ?> root, String source) {
        this.root = root;
        this.source = source;
    }

    /** Reads {@code config.json}. */
    public static ModelConfig read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        FileChecks.checkInput(file, "config " + file);
        if (Files.size(file) > MAX_BYTES) {
            throw new IllegalArgumentException("config " + file + " is " + Files.size(file) + " bytes, not a config");
        }
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Parses the text of a {@code config.json}; {@code source} names it in messages. */
    public static ModelConfig parse(String json, String source) {
        Object v;
        try {
            v = JsonValue.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config " + source + ": " + e.getMessage(), e);
        }
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("config " + source + " must be a JSON object");
        }
        return new ModelConfig((Map<?, ?>) v, source);
    }

    /** The nested config under {@code key} ({@code text_config}, {@code vision_config}). */
    public ModelConfig section(String key) {
        Object v = root.get(key);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("config " + source + " has no object " + key);
        }
        return new ModelConfig((Map<?, ?>) v, source + " " + key);
    }

    /** Whether {@code key} is present (and not null). */
    public boolean has(String key) {
        Object v = root.get(key);
        return v != null && v != JsonValue.NULL;
    }

    /** {@code model_type}, or "" when absent. */
    public String modelType() {
        return has("model_type") ? string("model_type") : "";
    }

    /** A string value. */
    public String string(String key) {
        Object v = require(key);
        if (!(v instanceof String)) {
            throw wrong(key, "a string", v);
        }
        return (String) v;
    }

    /** A boolean value. */
    public boolean bool(String key) {
        Object v = require(key);
        if (!(v instanceof Boolean)) {
            throw wrong(key, "true or false", v);
        }
        return (Boolean) v;
    }

    /** An integer value. */
    public int integer(String key) {
        Object v = require(key);
        if (!(v instanceof Long) || (Long) v != ((Long) v).intValue()) {
            throw wrong(key, "an int", v);
        }
        return ((Long) v).intValue();
    }

    /** A number (integer or not). */
    public double number(String key) {
        Object v = require(key);
        if (!(v instanceof Number)) {
            throw wrong(key, "a number", v);
        }
        return ((Number) v).doubleValue();
    }

    /** {@link #integer} of the first key present among {@code keys}, else {@code fallback}. */
    public int integer(int fallback, String... keys) {
        for (String k : keys) {
            if (has(k)) {
                return integer(k);
            }
        }
        return fallback;
    }

    /** {@link #number} of the first key present among {@code keys}, else {@code fallback}. */
    public double number(double fallback, String... keys) {
        for (String k : keys) {
            if (has(k)) {
                return number(k);
            }
        }
        return fallback;
    }

    /** {@code num_attention_heads} ({@code n_head} in GPT-2-style configs). */
    public int numHeads() {
        int h = integer(-1, "num_attention_heads", "n_head");
        if (h < 1) {
            throw new IllegalArgumentException("config " + source + " has no num_attention_heads");
        }
        return h;
    }

    /** {@code num_key_value_heads}, or {@link #numHeads()} (multi-head) when absent. */
    public int numKvHeads() {
        return integer(numHeads(), "num_key_value_heads");
    }

    /** {@code head_dim}, or {@code hidden_size / num_attention_heads}. */
    public int headDim() {
        if (has("head_dim")) {
            return integer("head_dim");
        }
        int e = integer(-1, "hidden_size", "n_embd", "d_model");
        if (e < 1 || e % numHeads() != 0) {
            throw new IllegalArgumentException("config " + source + " has no head_dim, and hidden_size " + e
                    + " is not a multiple of num_attention_heads " + numHeads());
        }
        return e / numHeads();
    }

    /** The norms' epsilon: {@code layer_norm_eps}, {@code rms_norm_eps} or {@code layer_norm_epsilon}. */
    public double normEps(double fallback) {
        return number(fallback, "layer_norm_eps", "rms_norm_eps", "layer_norm_epsilon");
    }

    /**
     * The model's RoPE, or empty for a model without it (no {@code rope_theta}, rotary or {@code rope_scaling} key
     * and not a RoPE family such as Llama): base, pairing ({@code INTERLEAVED} for GPT-J, else {@code HALF}), rotary
     * dim and scaling.
     *
     * @throws IllegalArgumentException for a RoPE type not implemented or parameters out of range, naming them
     */
    public Optional<Rope> rope() {
        String type = modelType();
        boolean family = type.matches("llama|mistral|mixtral|qwen2|qwen2_moe|qwen3|qwen3_moe|gemma|gemma2|gemma3_text"
                + "|phi|phi3|gpt_neox|gptj|falcon|stablelm|olmo|olmo2|starcoder2|deepseek_v3|granite");
        boolean keys = has("rope_theta") || has("rotary_emb_base") || has("rope_scaling") || has("rope_parameters")
                || has("partial_rotary_factor") || has("rotary_pct") || has("rotary_dim");
        if (!family && !keys) {
            return Optional.empty();
        }
        ModelConfig params = has("rope_parameters") ? section("rope_parameters") : null;
        double base = params != null && params.has("rope_theta") ? params.number("rope_theta")
                : number(10000.0, "rope_theta", "rotary_emb_base");
        RopeStyle style = type.equals("gptj") ? RopeStyle.INTERLEAVED : RopeStyle.HALF;
        int hd = headDim();
        int rotary = 0;
        if (has("rotary_dim")) {
            rotary = integer("rotary_dim");
        } else if (has("partial_rotary_factor") || has("rotary_pct")) {
            double f = number(1.0, "partial_rotary_factor", "rotary_pct");
            rotary = (int) (hd * f);   // as transformers: int(head_dim * factor)
        }
        if (rotary == hd) {
            rotary = 0;
        }
        Rope rope;
        try {
            rope = new Rope(base, style, null, null, rotary, scaling(params != null ? params
                    : has("rope_scaling") ? section("rope_scaling") : null));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config " + source + ": " + e.getMessage(), e);
        }
        return Optional.of(rope);
    }

    private RopeScaling scaling(ModelConfig s) {
        if (s == null) {
            return null;
        }
        String kind = s.has("rope_type") ? s.string("rope_type") : s.has("type") ? s.string("type") : "default";
        switch (kind) {
            case "default":
                return null;
            case "linear":
                return new RopeScaling.Linear(s.number("factor"));
            case "llama3":
                return new RopeScaling.Llama3(s.number("factor"), s.number("low_freq_factor"),
                        s.number("high_freq_factor"), s.integer("original_max_position_embeddings"));
            case "yarn": {
                double factor = s.number("factor");
                int original = s.integer(integer(-1, "max_position_embeddings"), "original_max_position_embeddings");
                double attention = Double.NaN;
                if (s.has("attention_factor")) {
                    attention = s.number("attention_factor");
                } else if (s.has("mscale") && s.has("mscale_all_dim")) {
                    attention = mscale(factor, s.number("mscale")) / mscale(factor, s.number("mscale_all_dim"));
                }
                boolean truncate = !s.has("truncate") || s.bool("truncate");
                return new RopeScaling.Yarn(factor, original, s.number(32, "beta_fast"), s.number(1, "beta_slow"),
                        attention, truncate);
            }
            default:
                throw new IllegalArgumentException("config " + source + ": rope type '" + kind + "' is not supported "
                        + "(supported: default, linear, llama3, yarn)");
        }
    }

    /** YaRN's {@code get_mscale}. */
    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    private Object require(String key) {
        if (!has(key)) {
            throw new IllegalArgumentException("config " + source + " has no " + key);
        }
        return root.get(key);
    }

    private IllegalArgumentException wrong(String key, String what, Object v) {
        return new IllegalArgumentException("config " + source + ": " + key + " must be " + what + ", got "
                + (v instanceof String ? "\"" + v + "\"" : String.valueOf(v)));
    }
}
