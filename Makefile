# Build and install socklab like any other tool:
#
#   make install                   # into ~/.local (bin/, share/man/, completions)
#   make install PREFIX=/usr/local # system-wide (run as root)
#   make dist                      # socklab-VERSION-linux-ARCH.tar.gz, to unpack on other machines
#
# The binary carries its lessons and the Swift runtime (--static-swift-stdlib), so the machines
# it is copied to need only libncursesw6 and libssl3, not Swift.

PREFIX ?= $(HOME)/.local
DESTDIR ?=
SWIFT ?= swift

root := $(DESTDIR)$(PREFIX)
binary := .build/release/socklab
manual := .build/plugins/GenerateManual/outputs/socklab/socklab.1
version = $(shell $(binary) --version | sed -n 's/^socklab \([^ ]*\).*/\1/p')
archive = socklab-$(version)-linux-$(shell uname -m)

.PHONY: all build manual install uninstall dist clean-dist

all: build manual

build:
	$(SWIFT) build -c release --static-swift-stdlib --product socklab

# The manual page is generated from the command definitions. The page is the same for any build,
# so it uses the debug build that `swift build` and `swift test` already made.
manual:
	$(SWIFT) package generate-manual --configuration debug

install: build manual
	install -d $(root)/bin $(root)/share/man/man1 $(root)/share/bash-completion/completions \
	  $(root)/share/zsh/site-functions $(root)/share/fish/vendor_completions.d
	install -m 755 $(binary) $(root)/bin/socklab
	install -m 644 $(manual) $(root)/share/man/man1/socklab.1
	$(binary) --generate-completion-script bash > $(root)/share/bash-completion/completions/socklab
	$(binary) --generate-completion-script zsh > $(root)/share/zsh/site-functions/_socklab
	$(binary) --generate-completion-script fish > $(root)/share/fish/vendor_completions.d/socklab.fish
	@echo "installed socklab in $(root)/bin; make sure it is on your PATH"

uninstall:
	rm -f $(root)/bin/socklab $(root)/share/man/man1/socklab.1 \
	  $(root)/share/bash-completion/completions/socklab $(root)/share/zsh/site-functions/_socklab \
	  $(root)/share/fish/vendor_completions.d/socklab.fish

# One archive for a room of machines: unpack it with `tar -C /usr/local -xzf ARCHIVE`.
dist: build manual
	rm -rf .build/dist
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/.build/dist PREFIX=/
	tar -C .build/dist -czf $(archive).tar.gz bin share
	@echo "wrote $(archive).tar.gz"
