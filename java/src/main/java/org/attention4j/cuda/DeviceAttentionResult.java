package org.attention4j.cuda;

import java.util.Optional;

/**
 * What attention on device tensors returns: the output {@code [B, Hq, Nq, Dv]} (in the inputs' type), and on
 * request the weights {@code [B, Hq, Nq, Nk]} and the log-sum-exp {@code [B, Hq, Nq]} (both FP32). The caller
 * owns them: {@link #close()} closes all three.
 */
public final class DeviceAttentionResult implements AutoCloseable {
    private final DeviceTensor output;
    private final DeviceTensor weights;
    private final DeviceTensor logSumExp;

    DeviceAttentionResult(DeviceTensor output, DeviceTensor weights, DeviceTensor logSumExp) {
        this.output = output;
        this.weights = weights;
        this.logSumExp = logSumExp;
    }

    /** The output. */
    public DeviceTensor output() {
        return output;
    }

    /** The weights, when asked for. */
    public Optional<DeviceTensor> weights() {
        return Optional.ofNullable(weights);
    }

    /** The log-sum-exp, when asked for. */
    public Optional<DeviceTensor> logSumExp() {
        return Optional.ofNullable(logSumExp);
    }

    /** Closes the tensors; safe to call twice. */
    @Override
    public void close() {
        output.close();
        if (weights != null) {
            weights.close();
        }
        if (logSumExp != null) {
            logSumExp.close();
        }
    }
}
