/*
 * smblib.c: libsmbclient through dlopen (see smblib.h).
 *
 * The soname is the one the Debian package libsmbclient installs (the
 * runtime half of libsmbclient-dev, which configure found); configure
 * checks that it loads and holds these symbols. RTLD_LOCAL: nothing of
 * Samba's leaks into the lookup of our other libraries' symbols.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"
#include "smblib.h"

#ifndef SMBCLIENT_SONAME
#define SMBCLIENT_SONAME	"libsmbclient.so.0"
#endif

static const struct {
	const char	*name;
	size_t		 offset;
} smblib_symbols[] = {
#define SMBLIB_SYMBOL(f)	{ "smbc_" #f, offsetof(struct smblib, f) }
	SMBLIB_SYMBOL(new_context),
	SMBLIB_SYMBOL(init_context),
	SMBLIB_SYMBOL(free_context),
	SMBLIB_SYMBOL(setConfiguration),
	SMBLIB_SYMBOL(setDebug),
	SMBLIB_SYMBOL(setLogCallback),
	SMBLIB_SYMBOL(setFunctionAuthDataWithContext),
	SMBLIB_SYMBOL(setOptionUserData),
	SMBLIB_SYMBOL(getOptionUserData),
	SMBLIB_SYMBOL(setOptionUseKerberos),
	SMBLIB_SYMBOL(setOptionFallbackAfterKerberos),
	SMBLIB_SYMBOL(setOptionUseCCache),
	SMBLIB_SYMBOL(setOptionNoAutoAnonymousLogin),
	SMBLIB_SYMBOL(setOptionProtocols),
	SMBLIB_SYMBOL(setTimeout),
	SMBLIB_SYMBOL(setPort),
	SMBLIB_SYMBOL(setUser),
	SMBLIB_SYMBOL(setWorkgroup),
	SMBLIB_SYMBOL(getFunctionOpen),
	SMBLIB_SYMBOL(getFunctionRead),
	SMBLIB_SYMBOL(getFunctionWrite),
	SMBLIB_SYMBOL(getFunctionLseek),
	SMBLIB_SYMBOL(getFunctionFtruncate),
	SMBLIB_SYMBOL(getFunctionClose),
	SMBLIB_SYMBOL(getFunctionStat),
	SMBLIB_SYMBOL(getFunctionUnlink),
	SMBLIB_SYMBOL(getFunctionRename),
	SMBLIB_SYMBOL(getFunctionMkdir),
	SMBLIB_SYMBOL(getFunctionOpendir),
	SMBLIB_SYMBOL(getFunctionReaddirPlus),
	SMBLIB_SYMBOL(getFunctionClosedir),
#undef SMBLIB_SYMBOL
};

static pthread_once_t	 smblib_once = PTHREAD_ONCE_INIT;
static struct smblib	 smblib_table;
static int		 smblib_loaded;
/* What went wrong, for every caller (the loader's text, or the symbol). */
static char		 smblib_failure[512];

static void
smblib_open(void)
{
	void		*handle, *sym;
	const char	*why;
	size_t		 i;

	if ((handle = dlopen(SMBCLIENT_SONAME, RTLD_NOW | RTLD_LOCAL)) ==
	    NULL) {
		why = dlerror();
		snprintf(smblib_failure, sizeof smblib_failure, "%s",
		    why != NULL ? why : "not found");
		return;
	}
	for (i = 0; i < sizeof smblib_symbols / sizeof smblib_symbols[0];
	    i++) {
		if ((sym = dlsym(handle, smblib_symbols[i].name)) == NULL) {
			snprintf(smblib_failure, sizeof smblib_failure,
			    "%s has no %s", SMBCLIENT_SONAME,
			    smblib_symbols[i].name);
			dlclose(handle);
			return;
		}
		*(void **)((char *)&smblib_table + smblib_symbols[i].offset) =
		    sym;
	}
	smblib_loaded = 1;	/* the handle stays open for the process */
}

const struct smblib *
smblib_load(char **cause)
{
	pthread_once(&smblib_once, smblib_open);
	if (!smblib_loaded) {
		error_set(cause, "smb:// needs libsmbclient (install the "
		    "Debian package libsmbclient): %s", smblib_failure);
		return NULL;
	}
	return &smblib_table;
}

const struct smblib *
smblib(void)
{
	pthread_once(&smblib_once, smblib_open);
	return &smblib_table;
}
