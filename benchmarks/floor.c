/* The physical floor of the tutorial's training: both of its networks (SimpleRNN(H) -> Dense(1), and
 * SimpleRNN(H) -> attention -> Dense(1), tanh, MSE, Adam, batch size 1) as one fused C loop, written for
 * this one configuration and nothing else. `benchmarks.bench_training` compiles it, feeds it the same
 * windows, window order and initial weights as the engine, and times both in the same run.
 *
 * Input (binary, little-endian, on stdin): int32 N, T, H, n_train, epochs, n_test; float32 X[N][T],
 * y[N]; int32 rows[epochs][n_train] (training windows in visiting order), test[n_test]; float32
 * learning rate; then each model's initial weights, in the engine's layout (kernel, recurrent kernel,
 * bias, dense kernel, dense bias, and for attention W, b).
 * Output (stdout): per model, its seconds and its final test MSE.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void need(int ok) { if (!ok) { fprintf(stderr, "floor: bad input\n"); exit(2); } }

static void *read_all(size_t count, size_t size) {
    void *data = malloc(count * size > 0 ? count * size : 1);
    need(data != NULL && fread(data, size, count, stdin) == count);
    return data;
}

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}

/* One model: weights p, gradient g, Adam moments m and v, over `size` floats. */
static void train(int attention, int N, int T, int H, int n_train, int epochs, int n_test, const float *X,
                  const float *y, const int *rows, const int *test, float lr, float *p, int size) {
    const int K = 0, R = H, B = H + H * H, D = B + H, DB = D + H, AW = DB + 1, AB = AW + H;
    float *g = calloc(size, sizeof(float)), *m = calloc(size, sizeof(float)), *v = calloc(size, sizeof(float));
    float *hs = calloc((T + 1) * H, sizeof(float)), *dstate = calloc(T * H, sizeof(float));
    float *e = calloc(T, sizeof(float)), *alpha = calloc(T, sizeof(float)), *dalpha = calloc(T, sizeof(float));
    float *ctx = calloc(H, sizeof(float));
    float *dh = calloc(H, sizeof(float)), *dprev = calloc(H, sizeof(float));
    long step = 0;
    double started = seconds();
    for (int epoch = 0; epoch < epochs; epoch++) {
        for (int k = 0; k < n_train; k++) {
            const float *x = X + (size_t)rows[(size_t)epoch * n_train + k] * T;
            float target = y[rows[(size_t)epoch * n_train + k]];
            /* forward */
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++) {
                    float r = 0.0f;
                    for (int i = 0; i < H; i++) r += hs[t * H + i] * p[R + i * H + j];
                    hs[(t + 1) * H + j] = tanhf(x[t] * p[K + j] + p[B + j] + r);
                }
            const float *features = hs + T * H;
            if (attention) {
                float top = -INFINITY, total = 0.0f;
                for (int t = 0; t < T; t++) {
                    float u = 0.0f;
                    for (int j = 0; j < H; j++) u += hs[(t + 1) * H + j] * p[AW + j];
                    e[t] = tanhf(u + p[AB + t]);
                    top = e[t] > top ? e[t] : top;
                }
                for (int t = 0; t < T; t++) { alpha[t] = expf(e[t] - top); total += alpha[t]; }
                for (int j = 0; j < H; j++) ctx[j] = 0.0f;
                for (int t = 0; t < T; t++) {
                    alpha[t] /= total;
                    for (int j = 0; j < H; j++) ctx[j] += hs[(t + 1) * H + j] * alpha[t];
                }
                features = ctx;
            }
            float s = p[DB];
            for (int j = 0; j < H; j++) s += features[j] * p[D + j];
            float prediction = tanhf(s);
            /* backward */
            memset(g, 0, size * sizeof(float));
            memset(dstate, 0, T * H * sizeof(float));
            float ds = 2.0f * (prediction - target) * (1.0f - prediction * prediction);
            g[DB] = ds;
            for (int j = 0; j < H; j++) g[D + j] = features[j] * ds;
            if (attention) {
                float mean = 0.0f;  /* dL/dalpha_t, then the softmax's weighted mean of them */
                for (int t = 0; t < T; t++) {
                    float da = 0.0f;
                    for (int j = 0; j < H; j++) {
                        dstate[t * H + j] = alpha[t] * p[D + j] * ds;
                        da += hs[(t + 1) * H + j] * p[D + j] * ds;
                    }
                    dalpha[t] = da;
                    mean += alpha[t] * da;
                }
                for (int t = 0; t < T; t++) {
                    float du = alpha[t] * (dalpha[t] - mean) * (1.0f - e[t] * e[t]);
                    g[AB + t] = du;
                    for (int j = 0; j < H; j++) {
                        g[AW + j] += hs[(t + 1) * H + j] * du;
                        dstate[t * H + j] += p[AW + j] * du;
                    }
                }
            } else {
                for (int j = 0; j < H; j++) dstate[(T - 1) * H + j] = p[D + j] * ds;
            }
            for (int j = 0; j < H; j++) dh[j] = 0.0f;
            for (int t = T - 1; t >= 0; t--) {
                for (int i = 0; i < H; i++) dprev[i] = 0.0f;
                for (int j = 0; j < H; j++) {
                    float h = hs[(t + 1) * H + j];
                    float dz = (dh[j] + dstate[t * H + j]) * (1.0f - h * h);
                    g[K + j] += x[t] * dz;
                    g[B + j] += dz;
                    for (int i = 0; i < H; i++) {
                        g[R + i * H + j] += hs[t * H + i] * dz;
                        dprev[i] += p[R + i * H + j] * dz;
                    }
                }
                for (int i = 0; i < H; i++) dh[i] = dprev[i];
            }
            /* Adam, as Keras 3 */
            step++;
            float alpha_t = lr * sqrtf(1.0f - powf(0.999f, (float)step)) / (1.0f - powf(0.9f, (float)step));
            for (int i = 0; i < size; i++) {
                m[i] += (g[i] - m[i]) * 0.1f;
                v[i] += (g[i] * g[i] - v[i]) * 0.001f;
                p[i] -= (m[i] * alpha_t) / (sqrtf(v[i]) + 1e-7f);
            }
        }
    }
    double elapsed = seconds() - started;
    double squared = 0.0;  /* the test MSE after training, to check it learnt what the engine learns */
    for (int k = 0; k < n_test; k++) {
        const float *x = X + (size_t)test[k] * T;
        for (int t = 0; t < T; t++)
            for (int j = 0; j < H; j++) {
                float r = 0.0f;
                for (int i = 0; i < H; i++) r += hs[t * H + i] * p[R + i * H + j];
                hs[(t + 1) * H + j] = tanhf(x[t] * p[K + j] + p[B + j] + r);
            }
        const float *features = hs + T * H;
        if (attention) {
            float top = -INFINITY, total = 0.0f;
            for (int t = 0; t < T; t++) {
                float u = 0.0f;
                for (int j = 0; j < H; j++) u += hs[(t + 1) * H + j] * p[AW + j];
                e[t] = tanhf(u + p[AB + t]);
                top = e[t] > top ? e[t] : top;
            }
            for (int t = 0; t < T; t++) { alpha[t] = expf(e[t] - top); total += alpha[t]; }
            for (int j = 0; j < H; j++) ctx[j] = 0.0f;
            for (int t = 0; t < T; t++)
                for (int j = 0; j < H; j++) ctx[j] += hs[(t + 1) * H + j] * alpha[t] / total;
            features = ctx;
        }
        float s = p[DB];
        for (int j = 0; j < H; j++) s += features[j] * p[D + j];
        double error = tanhf(s) - y[test[k]];
        squared += error * error;
    }
    printf("%s %.6f %.9g\n", attention ? "attention" : "rnn", elapsed, squared / n_test);
    free(g); free(m); free(v); free(hs); free(dstate); free(e); free(alpha); free(dalpha); free(ctx); free(dh); free(dprev);
}

int main(void) {
    int head[6];
    need(fread(head, sizeof(int), 6, stdin) == 6);
    int N = head[0], T = head[1], H = head[2], n_train = head[3], epochs = head[4], n_test = head[5];
    float *X = read_all((size_t)N * T, sizeof(float)), *y = read_all(N, sizeof(float));
    int *rows = read_all((size_t)epochs * n_train, sizeof(int)), *test = read_all(n_test, sizeof(int));
    float lr;
    need(fread(&lr, sizeof(float), 1, stdin) == 1);
    int rnn_size = H + H * H + H + H + 1, attention_size = rnn_size + H + T;
    float *rnn = read_all(rnn_size, sizeof(float)), *attention = read_all(attention_size, sizeof(float));
    train(0, N, T, H, n_train, epochs, n_test, X, y, rows, test, lr, rnn, rnn_size);
    train(1, N, T, H, n_train, epochs, n_test, X, y, rows, test, lr, attention, attention_size);
    return 0;
}
