package org.attention4j.cli;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import javax.imageio.ImageIO;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.attention4j.io.FileChecks;
import org.attention4j.io.HeatmapPng;
import org.attention4j.io.ModelConfig;
import org.attention4j.io.SafetensorsFile;
import org.attention4j.nn.Activation;
import org.attention4j.nn.Checkpoints;
import org.attention4j.nn.Encoder;
import org.attention4j.nn.PatchEmbedding;
import org.attention4j.nn.TokenEmbedding;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maps}: where a real model looks. Loads a Hugging Face ViT or CLIP text checkpoint ({@code .safetensors}),
 * runs an image (ViT) or token ids (CLIP text) through it, and writes the attention maps of one layer as PNGs:
 * per head the whole {@code [T, T]} map, and for ViT also the class token's attention over the patch grid. Every
 * input is read and checked, and every map computed, before the first PNG is written.
 */
@Command(name = "maps",
        description = {"Attention maps of one layer of a Hugging Face ViT or CLIP text model (.safetensors) as PNGs.",
            "ViT: --image (PNG/JPEG, resized to the model's grid, bilinear, normalised by --mean/--std); CLIP text: "
                + "--tokens (ids from its tokenizer).",
            "Writes <out-dir>/layer<L>_head<h>.png (queries down, keys across), for ViT also "
                + "layer<L>_head<h>_cls.png (the class token's attention on the patch grid), and layer<L>_mean.png.",
            "Exit status: 0 written, 2 bad usage or input, 3 engine failure."})
public final class MapsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "F.safetensors",
            description = "The checkpoint (Hugging Face names: vit.*, or text_model.* / CLIP's).",
            converter = FilePathConverter.class)
    Path weights;

    @Option(names = "--model", required = true, paramLabel = "vit|clip-text", description = "Which tower to run.")
    String model;

    @Option(names = "--config", paramLabel = "config.json",
            description = "The model's Hugging Face config: num_attention_heads, layer_norm_eps and hidden_act come "
                    + "from it (text_config for CLIP) unless given below.", converter = FilePathConverter.class)
    Path config;

    @Option(names = "--heads", paramLabel = "H", description = "num_attention_heads (required without --config).")
    Integer heads;

    @Option(names = "--layer", defaultValue = "-1", paramLabel = "L",
            description = "Which layer's maps (0-based; default: the last).")
    int layer;

    @Option(names = "--eps", paramLabel = "e",
            description = "layer_norm_eps (default: 1e-12 for vit, 1e-5 for clip-text).")
    Double eps;

    @Option(names = "--prefix", paramLabel = "P",
            description = "Tensor name prefix (default: vit. or text_model.).")
    String prefix;

    @Option(names = "--image", paramLabel = "F.png", description = "ViT: the image.",
            converter = FilePathConverter.class)
    Path image;

    @Option(names = "--mean", defaultValue = "0.5", split = ",", paramLabel = "m",
            description = "ViT: per-channel mean after scaling to [0, 1] (one value or three; default 0.5).")
    double[] mean;

    @Option(names = "--std", defaultValue = "0.5", split = ",", paramLabel = "s",
            description = "ViT: per-channel std (one value or three; default 0.5).")
    double[] std;

    @Option(names = "--tokens", split = ",", paramLabel = "id", description = "CLIP text: token ids, comma-separated.")
    int[] tokens;

    @Option(names = "--act", paramLabel = "quick_gelu|gelu",
            description = "CLIP text: hidden_act (default: the config's, else quick_gelu, OpenAI's).")
    String act;

    @Option(names = "--out-dir", required = true, paramLabel = "DIR", description = "Where the PNGs go (created).",
            converter = FilePathConverter.class)
    Path outDir;

    @Option(names = "--backend", paramLabel = "auto|cpu|reference|cuda", defaultValue = "auto",
            description = "Engine backend (default: auto).")
    String backend;

    @Override
    public Integer call() throws IOException {
        boolean vit = switch (model) {
            case "vit" -> true;
            case "clip-text" -> false;
            default -> throw new IllegalArgumentException("--model must be vit or clip-text, got '" + model + "'");
        };
        FileChecks.checkInput(weights, "--weights " + weights);
        ModelConfig cfg = null;
        if (config != null) {
            cfg = ModelConfig.read(config);
            if (!vit && cfg.has("text_config")) {
                cfg = cfg.section("text_config");
            }
        }
        int h = heads != null ? heads : cfg != null ? cfg.numHeads() : 0;
        if (h < 1) {
            throw new IllegalArgumentException(heads == null ? "--heads or --config is required"
                    : "--heads must be >= 1, got " + heads);
        }
        String activationName = act != null ? act : cfg != null && cfg.has("hidden_act") ? cfg.string("hidden_act")
                : "quick_gelu";
        if (vit && image == null || !vit && tokens == null) {
            throw new IllegalArgumentException(vit ? "--model vit needs --image" : "--model clip-text needs --tokens");
        }
        if (vit) {
            FileChecks.checkInput(image, "--image " + image);
        }
        double e = eps != null ? eps : cfg != null ? cfg.normEps(vit ? 1e-12 : 1e-5) : vit ? 1e-12 : 1e-5;
        String p = prefix != null ? prefix : vit ? "vit." : "text_model.";
        Backend chosen = Backend.parse(backend);
        List<Png> pngs = new ArrayList<>();
        String summary;
        ColdStart.computeStarts();
        try (SafetensorsFile f = SafetensorsFile.open(weights); AttentionEngine engine = AttentionEngine.create(chosen)) {
            Tensor x;
            int grid = 0;
            Encoder enc;
            if (vit) {
                PatchEmbedding emb = Checkpoints.vitEmbeddings(f, p);
                enc = Checkpoints.vitEncoder(f, p, h, e);
                grid = gridSide(emb.patches());
                x = emb.forward(engine, readImage(image, grid * emb.patch()));
            } else {
                TokenEmbedding emb = Checkpoints.clipTextEmbeddings(f, p);
                enc = Checkpoints.clipTextEncoder(f, p, h, e, activation(activationName));
                x = emb.forward(tokens, 1, tokens.length);
            }
            int l = layer == -1 ? enc.layers() - 1 : layer;
            if (l < 0 || l >= enc.layers()) {
                throw new IllegalArgumentException("--layer " + layer + " is out of range [0, " + enc.layers()
                        + ") for " + weights);
            }
            AttentionResult r = enc.forwardWithWeights(engine, x, l);
            float[] w = r.weights().orElseThrow().data();
            int t = x.dim(1);
            float[] avg = new float[t * t];
            for (int hd = 0; hd < h; hd++) {
                float[] m = Arrays.copyOfRange(w, hd * t * t, (hd + 1) * t * t);
                for (int i = 0; i < m.length; i++) {
                    avg[i] += m[i] / h;
                }
                pngs.add(new Png(outDir.resolve("layer" + l + "_head" + hd + ".png"), m, t, t,
                        "layer " + l + " head " + hd + " [" + t + " x " + t + "]"));
                if (vit) {
                    pngs.add(new Png(outDir.resolve("layer" + l + "_head" + hd + "_cls.png"),
                            Arrays.copyOfRange(m, 1, t), grid, grid, "layer " + l + " head " + hd
                            + ": class token -> patches"));
                }
            }
            pngs.add(new Png(outDir.resolve("layer" + l + "_mean.png"), avg, t, t,
                    "layer " + l + " mean over " + h + " heads"));
            summary = String.format(Locale.ROOT, "%s: %d layers, %d tokens, layer %d on %s", weights,
                    enc.layers(), t, l, r.backend().cliName());
        }
        Files.createDirectories(outDir);
        PrintWriter pw = spec.commandLine().getOut();
        pw.println(summary);
        for (Png png : pngs) {
            HeatmapPng.builder().title(png.title()).build().write(png.data(), 0, png.rows(), png.cols(), png.file());
            pw.println("wrote " + png.file());
        }
        pw.flush();
        return 0;
    }

    /** One map to draw, computed before any is written. */
    private record Png(Path file, float[] data, int rows, int cols, String title) {
    }

    private static Activation activation(String name) {
        return switch (name) {
            case "quick_gelu" -> Activation.QUICK_GELU;
            case "gelu" -> Activation.GELU;
            default -> throw new IllegalArgumentException("hidden_act must be quick_gelu or gelu, got '" + name + "'");
        };
    }

    /** The side of a square patch grid of {@code patches} patches. */
    private int gridSide(int patches) {
        int g = (int) Math.round(Math.sqrt(patches));
        if (g * g != patches) {
            throw new IllegalArgumentException(weights + ": " + patches + " patch positions are not a square grid");
        }
        return g;
    }

    /**
     * The image as {@code [1, 3, side, side]}: resized (bilinear, as Hugging Face's ViT processor), scaled to
     * {@code [0, 1]}, normalised per channel.
     */
    private Tensor readImage(Path file, int side) throws IOException {
        BufferedImage src = ImageIO.read(file.toFile());
        if (src == null) {
            throw new IllegalArgumentException("--image " + file + " is not an image ImageIO can read (PNG, JPEG, BMP, "
                    + "GIF)");
        }
        double[] m = perChannel(mean, "--mean");
        double[] s = perChannel(std, "--std");
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, side, side, null);
        g.dispose();
        float[] x = new float[3 * side * side];
        for (int y = 0; y < side; y++) {
            for (int xx = 0; xx < side; xx++) {
                int rgb = img.getRGB(xx, y);
                for (int c = 0; c < 3; c++) {
                    double v = ((rgb >> (16 - 8 * c)) & 0xFF) / 255.0;
                    x[(c * side + y) * side + xx] = (float) ((v - m[c]) / s[c]);
                }
            }
        }
        return Tensor.of(x, 1, 3, side, side);
    }

    private static double[] perChannel(double[] v, String option) {
        if (v.length != 1 && v.length != 3) {
            throw new IllegalArgumentException(option + " takes one value or three, got " + v.length);
        }
        double[] c = v.length == 1 ? new double[] {v[0], v[0], v[0]} : v;
        for (double x : c) {
            if (!Double.isFinite(x) || option.equals("--std") && x <= 0) {
                throw new IllegalArgumentException(option + " values must be finite" + (option.equals("--std")
                        ? " and > 0" : "") + ", got " + Arrays.toString(v));
            }
        }
        return c;
    }
}
