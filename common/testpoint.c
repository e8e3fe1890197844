/* testpoint.c: see testpoint.h. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "testpoint.h"

static pthread_once_t	 testpoint_once = PTHREAD_ONCE_INIT;
static char		*testpoint_name;
static unsigned long	 testpoint_hit = 1;
static unsigned long	 testpoint_count;
static pthread_mutex_t	 testpoint_lock = PTHREAD_MUTEX_INITIALIZER;

static void
testpoint_read(void)
{
	const char	*env = getenv("TRESOR_TESTPOINT");
	char		*colon;

	if (env == NULL || *env == '\0')
		return;
	testpoint_name = strdup(env);
	if (testpoint_name != NULL &&
	    (colon = strchr(testpoint_name, ':')) != NULL) {
		*colon = '\0';
		testpoint_hit = strtoul(colon + 1, NULL, 10);
	}
}

void
testpoint(const char *name)
{
	int	stop = 0;

	pthread_once(&testpoint_once, testpoint_read);
	if (testpoint_name == NULL || strcmp(name, testpoint_name) != 0)
		return;
	pthread_mutex_lock(&testpoint_lock);
	stop = ++testpoint_count == testpoint_hit;
	pthread_mutex_unlock(&testpoint_lock);
	if (stop)
		raise(SIGSTOP);
}
