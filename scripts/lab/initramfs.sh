# Shell functions the labs use to build an initramfs from unpacked Debian
# packages (scripts/lab/fetch) and our host-built binaries; sourced by
# scripts/xen-lab/images and scripts/kvm-lab/images. The host is Debian 12
# like the packages, so host-built binaries run in the lab's guests.
# The sourcing script sets: lab (name for messages), root (unpacked packages),
# kver (the kernel version under $root/lib/modules).
libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"

# copy FILE into tree DIR at the same path (symlinks resolved)
put() {
	mkdir -p "$2$(dirname "$3")"
	cp -L "$1" "$2$3"
}

# a binary and every library ldd finds for it, from the packages first
put_bin() {
	src=$1 dir=$2 dst=$3
	put "$src" "$dir" "$dst"
	LD_LIBRARY_PATH=$libpath ldd "$src" | awk '/=> \// { print $3 } /^\t\/lib64/ { print $1 }' |
	while read -r lib; do
		case $lib in
		"$root"/*) put "$lib" "$dir" "${lib#"$root"}" ;;
		*) put "$lib" "$dir" "$lib" ;;
		esac
	done
	if LD_LIBRARY_PATH=$libpath ldd "$src" | grep -q 'not found'; then
		echo "$lab: $src: libraries not found:" >&2
		LD_LIBRARY_PATH=$libpath ldd "$src" | grep 'not found' >&2
		exit 1
	fi
}

# a tree with busybox and the directories an /init needs
base_tree() {
	dir=$1
	rm -rf "$dir"
	mkdir -p "$dir/bin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/run" "$dir/tmp" "$dir/var/log/xen" \
		"$dir/var/lib/xen" "$dir/var/run" "$dir/etc/xen"
	cp "$root/bin/busybox" "$dir/bin/busybox"
	for app in sh mount umount insmod mkdir cat echo sleep poweroff ls grep sed tar dd cp rm \
		date head tail wc tr cut awk seq timeout; do
		ln -sf busybox "$dir/bin/$app"
	done
}

# the kernel package's file for module NAME ("kvm_amd" is kvm-amd.ko)
module_file() {
	for n in "$1" "$(echo "$1" | tr _ -)" "$(echo "$1" | tr - _)"; do
		f=$(find "$root/lib/modules/$kver" -name "$n.ko" | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
	done
	echo "$lab: module $1 missing from the kernel package" >&2
	return 1
}

# modules NAMES as /modules/NAME.ko in tree DIR, no dependency added
put_modules() {
	dir=$1; shift
	for m in "$@"; do
		f=$(module_file "$m") || exit 1
		put "$f" "$dir" "/modules/$m.ko"
	done
}

# module NAME's dependencies, then NAME, each once, in the order insmod needs
# them: the unpacked package has no modules.dep, so each module's own
# depends= line (its .modinfo section) is read.
module_load_order() {
	f=$(module_file "$1") || exit 1
	for d in $(strings -a "$f" | sed -n 's/^depends=//p' | tr ',' ' '); do
		module_load_order "$d"
	done
	echo "$1"
}

# modules NAMES and everything they depend on into tree DIR; the load order
# (one name a line, dependencies first) into DIR/modules/order
put_modules_with_deps() {
	dir=$1; shift
	mkdir -p "$dir/modules"
	: > "$dir/modules/order.all"
	for m in "$@"; do module_load_order "$m" >> "$dir/modules/order.all"; done
	awk '!seen[$0]++' "$dir/modules/order.all" > "$dir/modules/order"
	rm "$dir/modules/order.all"
	# shellcheck disable=SC2046
	put_modules "$dir" $(cat "$dir/modules/order")
}

pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) > "$2"
}
