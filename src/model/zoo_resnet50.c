/*
 * torchvision.models.resnet50 (ResNet-50 v1.5: the stride sits in the 3x3
 * convolution of each bottleneck), eval mode, with every tensor named as
 * in its state_dict.
 */
#include "model/zoo_impl.h"

#include <stdio.h>

static struct zv bottleneck(struct zoo_ctx *ctx, struct zv x, const char *p, int64_t width, int64_t stride,
			    int downsample)
{
	char n[8][96];
	struct zv y, id = x;

	snprintf(n[0], sizeof n[0], "%s.conv1", p);
	snprintf(n[1], sizeof n[1], "%s.bn1", p);
	snprintf(n[2], sizeof n[2], "%s.conv2", p);
	snprintf(n[3], sizeof n[3], "%s.bn2", p);
	snprintf(n[4], sizeof n[4], "%s.conv3", p);
	snprintf(n[5], sizeof n[5], "%s.bn3", p);
	snprintf(n[6], sizeof n[6], "%s.downsample.0", p);
	snprintf(n[7], sizeof n[7], "%s.downsample.1", p);
	y = zoo_relu(ctx, zoo_bn(ctx, zoo_conv(ctx, x, n[0], width, 1, 1, 0, 1), n[1]));
	y = zoo_relu(ctx, zoo_bn(ctx, zoo_conv(ctx, y, n[2], width, 3, stride, 1, 1), n[3]));
	/* Random weights: a residual branch adds its variance to the trunk's,
	 * so 16 blocks at gamma 1 grow activations 256-fold (logits near
	 * 1000, past float16 inside). Gamma 0.25 on the branch's last BN
	 * keeps them near unit scale, as torchvision's zero_init_residual
	 * (gamma 0) does more bluntly. Loaded weights are used as they are. */
	y = zoo_bn_gamma(ctx, zoo_conv(ctx, y, n[4], width * 4, 1, 1, 0, 1), n[5], 0.25f);
	if (downsample)
		id = zoo_bn(ctx, zoo_conv(ctx, x, n[6], width * 4, 1, stride, 0, 1), n[7]);
	return zoo_relu(ctx, zoo_add(ctx, y, id));
}

static int build(struct zoo_ctx *ctx)
{
	static const struct {
		int blocks;
		int64_t width, stride;
	} layers[4] = { { 3, 64, 1 }, { 4, 128, 2 }, { 6, 256, 2 }, { 3, 512, 2 } };
	const int64_t b = ctx->opt->batch;
	const struct gb_onnx_dim in_dims[4] = { { b, b ? NULL : "batch" }, { 3, NULL }, { 224, NULL }, { 224, NULL } };
	const struct gb_onnx_dim out_dims[2] = { { b, b ? NULL : "batch" }, { ctx->labels, NULL } };
	const int64_t ref[4] = { 1, 3, 224, 224 };
	struct zv x;
	char p[64];

	snprintf(ctx->macs_at, sizeof ctx->macs_at, "3x224x224");
	x = zoo_input(ctx, "input", ctx->dt, 4, in_dims, ref);
	x = zoo_relu(ctx, zoo_bn(ctx, zoo_conv(ctx, x, "conv1", 64, 7, 2, 3, 1), "bn1"));
	x = zoo_maxpool(ctx, x, 3, 2, 1);
	for (int l = 0; l < 4; l++) {
		for (int i = 0; i < layers[l].blocks; i++) {
			snprintf(p, sizeof p, "layer%d.%d", l + 1, i);
			x = bottleneck(ctx, x, p, layers[l].width, i ? 1 : layers[l].stride, i == 0);
		}
	}
	x = zoo_pool_flatten(ctx, x);
	x = zoo_linear(ctx, x, "fc", ctx->labels, 0);
	zoo_output(ctx, x, "logits", 2, out_dims);
	return ctx->err;
}

const struct zoo_arch gb_zoo_resnet50 = {
	.model = { "resnet50", "ResNet-50 image classifier (ImageNet, 224x224)",
		   "torchvision.models.resnet50", 1000, 10000 },
	.build = build,
};
