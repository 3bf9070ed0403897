//! Rust's memory in a backend: the system allocator, with large blocks asking the kernel for
//! transparent huge pages. Batch mode holds a series' values and scores whole (about 100 bytes
//! a row); each query's blocks are fresh pages from the kernel, and taking them 4 KiB at a time
//! was a third of a 1M-row batch call (page faults and their cgroup accounting). In 2 MiB pages
//! there are 512 times fewer faults. Only advice: where the kernel has no huge pages to give
//! (or transparent huge pages are off), nothing changes.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks this large are advised (smaller ones come from malloc's heap, already faulted in).
const ADVISED_FROM: usize = 8 << 20;
const HUGE_PAGE: usize = 2 << 20;

pub struct LargeBlocksInHugePages;

// SAFETY: every call is the system allocator's; the advice only touches whole huge pages
// inside the block just returned.
unsafe impl GlobalAlloc for LargeBlocksInHugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        advised(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        advised(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        advised(unsafe { System.realloc(ptr, layout, new_size) }, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn advised(block: *mut u8, size: usize) -> *mut u8 {
    #[cfg(target_os = "linux")]
    if size >= ADVISED_FROM && !block.is_null() {
        // The whole huge pages inside the block (malloc's header sits before it).
        let start = (block as usize).next_multiple_of(HUGE_PAGE);
        let end = (block as usize + size) / HUGE_PAGE * HUGE_PAGE;
        if end > start {
            // SAFETY: [start, end) lies inside the block just allocated; MADV_HUGEPAGE changes
            // how its pages are backed, never their contents. An error (no THP) is ignored.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
    block
}
