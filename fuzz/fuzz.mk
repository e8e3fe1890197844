# fuzz.mk: builds the libFuzzer targets (GNU make; run.sh calls it as
# `make -f fuzz/fuzz.mk` from the top of the tree). Not part of the
# autotools build: the targets need clang's libFuzzer, and the library's
# sources compiled by clang with the same sanitizers, so the library is
# built a second time here, into fuzz/build/, instead of linking the gcc
# libtresor.a.

# Debian 12's clang-14 package installs clang-14; `clang` comes with the
# clang metapackage.
CC = $(shell command -v clang-14 || command -v clang || echo clang)
PKGS = gpgme gpg-error libgcrypt libzstd libcurl libssh2 smbclient expat \
	libpq yaml-0.1
B = fuzz/build

SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
CFLAGS = -MMD -MP -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-command-line-argument \
	-pthread -I. -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS))
LIBS = $(shell pkg-config --libs $(PKGS)) -lrsync -pthread

# The library code the targets reach (no cli/, no engines).
LIB_SRC = $(wildcard common/*.c format/*.c format/filter/*.c transports/*.c \
	repo/*.c) \
	backupd/config.c
LIB_OBJ = $(LIB_SRC:%.c=$(B)/lib/%.o)

TARGETS = record manifest sigs patch url timespec config propfind ftplist \
	pgpdec seal
BINS = $(TARGETS:%=$(B)/fuzz-%)

# Per target, what it links besides its own file and fuzz.c.
EXTRA_config = $(B)/fuzz/fuzz-config-key.o
EXTRA_ftplist = $(B)/fuzz/ftpserve.o

all: $(BINS)

$(B)/lib/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzz/%.o: fuzz/%.c fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/libtresor-fuzz.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

.SECONDEXPANSION:
$(B)/fuzz-%: $(B)/fuzz/fuzz-%.o $(B)/fuzz/fuzz.o $$(EXTRA_$$*) $(B)/libtresor-fuzz.a
	$(CC) $(SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

.PHONY: all

-include $(LIB_OBJ:.o=.d) $(wildcard $(B)/fuzz/*.d)
.SECONDARY:
