/*
 * fuzz_config.c - libFuzzer target for the config loader: arbitrary bytes
 * are written to a file and go through cfg_load() exactly as `berth
 * validate` and `apply` read a config (the line reader, inih, every key
 * parser, cross-field validation, error formatting). Every input must end
 * in a loaded config or an error message, never a crash, a leak, an
 * out-of-bounds access or a hang. The file's folder holds a valid seccomp
 * profile (`p.json`) and an image folder (`img`) so inputs can reach the
 * code behind those keys.
 *
 * Build: make build/fuzz/fuzz_config
 * Run:   build/fuzz/fuzz_config -dict=tests/fuzz/fuzz_config.dict \
 *          build/fuzz-corpus/fuzz_config tests/fuzz/corpus/fuzz_config
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/log.h"
#include "../../config/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/berth-fuzz-config.XXXXXX";
static char cfg_path[64];

static void remove_dir(void)
{
	rm_rf(dir, NULL);
}

static void put(const char *name, const char *text)
{
	char path[128];
	struct berr err = BERR_INIT;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (file_write_atomic(path, text, strlen(text), 0600, &err) == -1) {
		fprintf(stderr, "fuzz_config: %s\n", err.msg);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char img[64];

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_WARN);
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	snprintf(img, sizeof(img), "%s/img", dir);
	if (mkdir(img, 0700) == -1)
		abort();
	put("p.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
		      "[{\"names\": [\"read\", \"write\"], \"action\": "
		      "\"SCMP_ACT_ALLOW\"}]}");
	snprintf(cfg_path, sizeof(cfg_path), "%s/berth.ini", dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	int fd = open(cfg_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1 || fd_write_all(fd, data, size) == -1)
		abort();
	close(fd);
	if (cfg_load(cfg_path, &cfg, &err) == 0) {
		cfg_free(cfg);
	} else if (err.msg[0] == '\0') {
		/* Every refusal says why. */
		abort();
	}
	return 0;
}
