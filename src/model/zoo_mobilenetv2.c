/*
 * torchvision.models.mobilenet_v2 (width 1.0), eval mode, with every
 * tensor named as in its state_dict.
 */
#include "model/zoo_impl.h"

#include <stdio.h>

/* Conv2dNormActivation: features.N.0 conv, features.N.1 BN, ReLU6. */
static struct zv conv_bn_relu6(struct zoo_ctx *ctx, struct zv x, const char *p, int64_t cout, int64_t k,
			       int64_t stride, int64_t groups)
{
	char c[96], n[96];

	snprintf(c, sizeof c, "%s.0", p);
	snprintf(n, sizeof n, "%s.1", p);
	return zoo_relu6(ctx, zoo_bn(ctx, zoo_conv(ctx, x, c, cout, k, stride, (k - 1) / 2, groups), n));
}

static struct zv inverted_residual(struct zoo_ctx *ctx, struct zv x, int idx, int64_t oup, int64_t stride,
				   int64_t t)
{
	const int64_t inp = x.d[1], hidden = inp * t;
	char p[96], c[96], n[96];
	struct zv y = x;
	int k = 0;	/* index inside features.N.conv */

	if (t != 1) {
		snprintf(p, sizeof p, "features.%d.conv.%d", idx, k++);
		y = conv_bn_relu6(ctx, y, p, hidden, 1, 1, 1);
	}
	snprintf(p, sizeof p, "features.%d.conv.%d", idx, k++);
	y = conv_bn_relu6(ctx, y, p, hidden, 3, stride, hidden);
	snprintf(c, sizeof c, "features.%d.conv.%d", idx, k++);
	snprintf(n, sizeof n, "features.%d.conv.%d", idx, k++);
	y = zoo_bn(ctx, zoo_conv(ctx, y, c, oup, 1, 1, 0, 1), n);
	return stride == 1 && inp == oup ? zoo_add(ctx, y, x) : y;
}

static int build(struct zoo_ctx *ctx)
{
	/* expansion t, channels c, repeats n, first stride s (the paper's table) */
	static const int64_t settings[7][4] = {
		{ 1, 16, 1, 1 }, { 6, 24, 2, 2 }, { 6, 32, 3, 2 }, { 6, 64, 4, 2 },
		{ 6, 96, 3, 1 }, { 6, 160, 3, 2 }, { 6, 320, 1, 1 },
	};
	const int64_t b = ctx->opt->batch;
	const struct gb_onnx_dim in_dims[4] = { { b, b ? NULL : "batch" }, { 3, NULL }, { 224, NULL }, { 224, NULL } };
	const struct gb_onnx_dim out_dims[2] = { { b, b ? NULL : "batch" }, { ctx->labels, NULL } };
	const int64_t ref[4] = { 1, 3, 224, 224 };
	struct zv x;
	int idx = 1;
	char p[64];

	snprintf(ctx->macs_at, sizeof ctx->macs_at, "3x224x224");
	x = zoo_input(ctx, "input", ctx->dt, 4, in_dims, ref);
	x = conv_bn_relu6(ctx, x, "features.0", 32, 3, 2, 1);
	for (int s = 0; s < 7; s++)
		for (int64_t i = 0; i < settings[s][2]; i++)
			x = inverted_residual(ctx, x, idx++, settings[s][1], i ? 1 : settings[s][3], settings[s][0]);
	snprintf(p, sizeof p, "features.%d", idx);
	x = conv_bn_relu6(ctx, x, p, 1280, 1, 1, 1);
	x = zoo_pool_flatten(ctx, x);
	/* classifier.0 is Dropout: nothing at inference. */
	x = zoo_linear(ctx, x, "classifier.1", ctx->labels, 0.01);
	zoo_output(ctx, x, "logits", 2, out_dims);
	return ctx->err;
}

const struct zoo_arch gb_zoo_mobilenetv2 = {
	.model = { "mobilenetv2", "MobileNetV2 image classifier (ImageNet, 224x224)",
		   "torchvision.models.mobilenet_v2", 1000, 10000 },
	.build = build,
};
