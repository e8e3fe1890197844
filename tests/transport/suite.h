/*
 * suite.h: the behaviour every transport driver must show, as one TAP
 * suite run against a URL. Each driver's test starts its server (if any)
 * and calls transport_suite_run with a URL to an empty location.
 */
#ifndef TRESOR_TEST_TRANSPORT_SUITE_H
#define TRESOR_TEST_TRANSPORT_SUITE_H

struct transport_options;

/* Run the suite against url (its location empty); options may be NULL. */
void	transport_suite_run(const char *url, const struct transport_options *);

#endif
