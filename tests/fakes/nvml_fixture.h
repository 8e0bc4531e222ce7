/*
 * Test-side helpers for the fake NVML: load one variant, reach its control
 * functions, clear the scripting environment. The test keeps its own dlopen
 * handle so the fake stays loaded (and its virtual clock set) while the
 * source under test opens and closes it. Single-threaded test use only.
 */
#ifndef NVML_FIXTURE_H
#define NVML_FIXTURE_H

#include "fakes/fake_nvml.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "lib/gbtest.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

struct nvml_fixture {
	char *path;	/* $GB_BUILD/tests/<lib> */
	void *dl;
	fake_nvml_set_time_ns_fn set_time_ns;
	fake_nvml_calls_fn calls;
	fake_nvml_fail_fn inject;
	fake_nvml_init_depth_fn init_depth;
	fake_nvml_energy_mj_fn energy_mj;
	void *st;	/* the NVML source's state once opened */
};

extern const struct gb_source_ops gb_source_nvml;

static inline void *nvml_fixture_sym(void *dl, const char *name)
{
	void *p = dlsym(dl, name);

	if (!p)
		fail_msg("fake NVML lacks %s", name);
	return p;
}

static inline void nvml_fixture_env_clear(void)
{
	static const char *const vars[] = {
		"FAKE_NVML_GPUS", "FAKE_NVML_MODE", "FAKE_NVML_POWER_MW",
		"FAKE_NVML_ENERGY_PERIOD_MS", "FAKE_NVML_REASONS", "GREENBENCH_NVML_LIB",
	};
	char name[64];
	unsigned i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "FAKE_NVML_GPU%u_MODE", i);
		unsetenv(name);
		snprintf(name, sizeof name, "FAKE_NVML_GPU%u_POWER_MW", i);
		unsetenv(name);
	}
}

static inline void nvml_fixture_open(struct nvml_fixture *f, const char *lib)
{
	nvml_fixture_env_clear();
	f->path = gbt_build_path(lib);
	f->dl = dlopen(f->path, RTLD_NOW | RTLD_LOCAL);
	if (!f->dl)
		fail_msg("cannot load %s: %s (built by `make test`)", f->path, dlerror());
	*(void **)&f->set_time_ns = nvml_fixture_sym(f->dl, "fake_nvml_set_time_ns");
	*(void **)&f->calls = nvml_fixture_sym(f->dl, "fake_nvml_calls");
	*(void **)&f->inject = nvml_fixture_sym(f->dl, "fake_nvml_fail");
	*(void **)&f->init_depth = nvml_fixture_sym(f->dl, "fake_nvml_init_depth");
	*(void **)&f->energy_mj = nvml_fixture_sym(f->dl, "fake_nvml_energy_mj");
	f->set_time_ns(0);
	f->st = NULL;
}

/* Open the NVML source on lib (NULL: its own search) into f->st. */
static inline int nvml_fixture_src_open(struct nvml_fixture *f, const char *lib)
{
	struct gb_meter_config cfg;

	gb_meter_config_init(&cfg);
	cfg.nvml_lib = lib;
	gb_error_clear();
	return gb_source_nvml.open(&cfg, &f->st);
}

/* Close the source if open, unload the fake. */
static inline void nvml_fixture_close(struct nvml_fixture *f)
{
	if (f->st)
		gb_source_nvml.close(f->st);
	f->st = NULL;
	nvml_fixture_env_clear();
	if (f->dl)
		dlclose(f->dl);
	free(f->path);
	f->dl = NULL;
	f->path = NULL;
}

#endif
