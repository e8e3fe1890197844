/*
 * fuzz-config.c: backupd's env.yml loader (backupd/config.c) through
 * libyaml, from a buffer as config_load reads the file, then the
 * description `backupd --check-config` prints (the "describe" crash on
 * odd nodes was found here). Input: the file's text.
 *
 * The key check is gpg's, in a process of its own (crypto_inspect_key,
 * format/filter/gpg.c): at tens of milliseconds a run it would be most of
 * the time spent, and it is not part of the parser. This target links its
 * own crypto_inspect_key instead (fuzz-config-key.c), which accepts a
 * text that starts like an armoured public or secret key block.
 */
#include <stdlib.h>
#include <string.h>

#include "backupd/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c;
	char		*text, *cause = NULL;

	c = config_parse("env.yml", (const char *)data, size, &cause);
	if (c == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	text = config_describe(c);
	if (text == NULL)
		abort();
	free(text);
	config_free(c);
	return 0;
}
