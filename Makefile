# The usual entry points around Maven, as RootlessKit's own Makefile offers them:
#   make                       build (mvn package) into parent/target/dist
#   make install [PREFIX=DIR]  build, then install under PREFIX (default ~/.local, /usr/local as root)
#   make uninstall [PREFIX=DIR]
#   make dist                  build, then the release archive target/rootlessjkit-VERSION-linux-ARCH.tar.gz
#   make clean
# hack/install.sh does the installing; see its header for what goes where.
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
MVN ?= mvn

.PHONY: all build install uninstall dist clean

all: build

build:
	$(MVN) -B -q -ntp package -DskipTests

install: build
	hack/install.sh --prefix="$(PREFIX)"

uninstall:
	hack/install.sh --uninstall --prefix="$(PREFIX)"

dist: build
	hack/dist.sh

clean:
	$(MVN) -B -q -ntp clean
