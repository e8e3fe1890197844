/*
 * smblib.h: libsmbclient, loaded when the first smb:// target is opened.
 *
 * Linked in, libsmbclient brings 112 Samba libraries into every tresor and
 * backupd process and costs each of them about 26 ms of CPU before main()
 * (measured with perf stat on a program that links only it), whether or
 * not it ever talks SMB. Loaded with dlopen on first use, it costs only
 * the runs that need it. Its header still comes from pkg-config, so every
 * call below is checked against the library's own prototypes.
 */
#ifndef TRESOR_SMBLIB_H
#define TRESOR_SMBLIB_H

#include <libsmbclient.h>

/* The library's entry points smb.c uses, by their names without smbc_. */
struct smblib {
	__typeof__(smbc_new_context)			*new_context;
	__typeof__(smbc_init_context)			*init_context;
	__typeof__(smbc_free_context)			*free_context;
	__typeof__(smbc_setConfiguration)		*setConfiguration;
	__typeof__(smbc_setDebug)			*setDebug;
	__typeof__(smbc_setLogCallback)			*setLogCallback;
	__typeof__(smbc_setFunctionAuthDataWithContext)	*setFunctionAuthDataWithContext;
	__typeof__(smbc_setOptionUserData)		*setOptionUserData;
	__typeof__(smbc_getOptionUserData)		*getOptionUserData;
	__typeof__(smbc_setOptionUseKerberos)		*setOptionUseKerberos;
	__typeof__(smbc_setOptionFallbackAfterKerberos)	*setOptionFallbackAfterKerberos;
	__typeof__(smbc_setOptionUseCCache)		*setOptionUseCCache;
	__typeof__(smbc_setOptionNoAutoAnonymousLogin)	*setOptionNoAutoAnonymousLogin;
	__typeof__(smbc_setOptionProtocols)		*setOptionProtocols;
	__typeof__(smbc_setTimeout)			*setTimeout;
	__typeof__(smbc_setPort)			*setPort;
	__typeof__(smbc_setUser)			*setUser;
	__typeof__(smbc_setWorkgroup)			*setWorkgroup;
	__typeof__(smbc_getFunctionOpen)		*getFunctionOpen;
	__typeof__(smbc_getFunctionRead)		*getFunctionRead;
	__typeof__(smbc_getFunctionWrite)		*getFunctionWrite;
	__typeof__(smbc_getFunctionLseek)		*getFunctionLseek;
	__typeof__(smbc_getFunctionFtruncate)		*getFunctionFtruncate;
	__typeof__(smbc_getFunctionClose)		*getFunctionClose;
	__typeof__(smbc_getFunctionStat)		*getFunctionStat;
	__typeof__(smbc_getFunctionUnlink)		*getFunctionUnlink;
	__typeof__(smbc_getFunctionRename)		*getFunctionRename;
	__typeof__(smbc_getFunctionMkdir)		*getFunctionMkdir;
	__typeof__(smbc_getFunctionOpendir)		*getFunctionOpendir;
	__typeof__(smbc_getFunctionReaddirPlus)		*getFunctionReaddirPlus;
	__typeof__(smbc_getFunctionClosedir)		*getFunctionClosedir;
};

/*
 * The library, loaded on the first call (thread-safe; it stays loaded), or
 * NULL with *cause naming the library and what the loader said.
 */
const struct smblib	*smblib_load(char **cause);
/* The library once smblib_load succeeded (smb.c calls through it). */
const struct smblib	*smblib(void);

#endif
