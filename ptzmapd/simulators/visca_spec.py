"""Every command and inquiry row of the VISCA spec files, as a simulated camera answers them.

This module owns the rows of ``specs/ptzoptics-visca-over-ip-commands.txt`` and the VISCA
part of ``specs/ptzoptics-move4k-link4k-manual.txt`` (ERRATA corrections applied beside the
rows they correct), written the way the tables print them, and the two things a camera does
with a row: read a frame against it (:func:`match`) and fill an answer from its values
(:func:`fill`). :class:`~ptzmapd.simulators.visca.SimulatedCamera` answers every row: commands
get ACK and completion and store what they set in a *register*; inquiries answer from the
registers (the modelled ones — zoom, focus, pan, tilt, focus mode, menu, last memory — from
the model itself).

Pattern tokens: ``8x`` the command start (address in the low nibble), ``y0`` the reply start,
two hex digits a fixed byte, ``0p`` one nibble of value ``p``, ``pq``/``VV``/``tt`` a whole
byte (for ``tt``: both nibbles of ``t``). A letter's tokens hold its value most significant
first: ``0p 0q`` is the byte pq, ``0Y 0Y 0Y 0Y`` a 16-bit number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ptzmapd.protocols.visca.tables import reply_start
from ptzmapd.protocols.visca.tables import TERMINATOR


@dataclass(frozen=True, slots=True)
class SpecCommand:
    """A command row. ``register`` is the setting it changes (read back by an inquiry);
    ``value`` the value it stores (None: the value its placeholders carry). ``action`` names
    what the camera model does beyond storing it (a move, a drive at standard speed, the
    IF_Clear answer); see ``SimulatedCamera._spec_actions``."""

    name: str
    pattern: str
    register: str = ""
    value: int | None = None
    action: str = ""


@dataclass(frozen=True, slots=True)
class SpecInquiry:
    """An inquiry row and its answer; ``letters`` maps each placeholder letter of the answer
    to the register it reports."""

    name: str
    pattern: str
    answer: str
    letters: dict[str, str] = field(default_factory=dict)


_R = SpecCommand


def _setting(name: str, prefix: str, register: str, values: dict[str, int]) -> list[SpecCommand]:
    """Rows ``8x <prefix> vv FF`` that store vv in ``register``: one per named value."""
    return [_R(f"{name} {label}", f"8x {prefix} {value:02X} FF", register, value) for label, value in values.items()]


_ON_OFF = {"On": 0x02, "Off": 0x03}
_RESET_UP_DOWN = {"Reset": 0x00, "Up": 0x02, "Down": 0x03}

COMMANDS: tuple[SpecCommand, ...] = (
    _R("IF_Clear", "8x 01 00 01 FF", action="if-clear"),
    *_setting("CAM_Power", "01 04 00", "power", _ON_OFF),
    _R("CAM_Zoom Stop", "8x 01 04 07 00 FF"),
    _R("CAM_Zoom Tele (Standard)", "8x 01 04 07 02 FF", action="zoom tele"),
    _R("CAM_Zoom Wide (Standard)", "8x 01 04 07 03 FF", action="zoom wide"),
    _R("CAM_Zoom Tele (Variable)", "8x 01 04 07 2p FF"),
    _R("CAM_Zoom Wide (Variable)", "8x 01 04 07 3p FF"),
    # ERRATA: each nibble in its own byte (the tables print "p q r s").
    _R("CAM_Zoom Direct", "8x 01 04 47 0p 0p 0p 0p FF", action="zoom direct"),
    _R("CAM_Focus Stop", "8x 01 04 08 00 FF"),
    _R("CAM_Focus Far (Standard)", "8x 01 04 08 02 FF", action="focus far"),
    _R("CAM_Focus Near (Standard)", "8x 01 04 08 03 FF", action="focus near"),
    _R("CAM_Focus Far (Variable)", "8x 01 04 08 2p FF"),
    _R("CAM_Focus Near (Variable)", "8x 01 04 08 3p FF"),
    _R("CAM_Focus Direct", "8x 01 04 48 0p 0p 0p 0p FF", action="focus direct"),
    _R("CAM_Focus Auto Focus", "8x 01 04 38 02 FF"),
    _R("CAM_Focus Manual Focus", "8x 01 04 38 03 FF"),
    _R("CAM_Focus Auto/Manual", "8x 01 04 38 10 FF"),
    _R("CAM_Focus OnePush Auto Focus", "8x 01 04 38 04 FF"),
    # ERRATA: Sony's CAM_AF One Push Trigger (the sony dialect sends it).
    _R("CAM_AF One Push Trigger (Sony)", "8x 01 04 18 01 FF"),
    *_setting("Focus Lock", "0A 04 68", "focus-lock", _ON_OFF),
    *_setting("CAM_AFSensitivity", "01 04 58", "af-sensitivity", {"High": 0x01, "Normal": 0x02, "Low": 0x03}),
    *_setting("CAM_WB", "01 04 35", "wb-mode", {"Auto": 0x00, "Indoor": 0x01, "Outdoor": 0x02, "OnePush": 0x03,
                                                 "Manual": 0x05, "ColorTemperature": 0x20}),
    _R("CAM_WB OnePush Trigger", "8x 01 04 10 05 FF"),
    *_setting("CAM_RGain", "01 04 03", "", _RESET_UP_DOWN),
    # ERRATA: R Gain Direct is 43, B Gain Direct 44 (one table's rows are shifted by one).
    _R("CAM_RGain Direct", "8x 01 04 43 00 00 0p 0p FF", "r-gain"),
    *_setting("CAM_BGain", "01 04 04", "", _RESET_UP_DOWN),
    _R("CAM_BGain Direct", "8x 01 04 44 00 00 0p 0p FF", "b-gain"),
    *_setting("CAM_ColorTemp", "01 04 20", "", _RESET_UP_DOWN),
    _R("CAM_ColorTemp Direct", "8x 01 04 20 0p 0p FF", "color-temperature"),
    _R("CAM_RTuning Direct", "8x 0A 01 12 pp FF", "r-tuning"),
    _R("CAM_BTuning Direct", "8x 0A 01 13 pp FF", "b-tuning"),
    *_setting("CAM_AE", "01 04 39", "ae-mode", {"Full Auto": 0x00, "Manual": 0x03, "Shutter Priority": 0x0A,
                                                "Iris Priority": 0x0B, "Bright": 0x0D}),
    *_setting("CAM_Iris", "01 04 0B", "", _RESET_UP_DOWN),
    _R("CAM_Iris Direct", "8x 01 04 4B 00 00 0p 0p FF", "iris"),
    *_setting("CAM_Shutter", "01 04 0A", "", _RESET_UP_DOWN),
    _R("CAM_Shutter Direct", "8x 01 04 4A 00 00 0p 0p FF", "shutter"),
    *_setting("CAM_Gain", "01 04 0C", "", _RESET_UP_DOWN),
    # ERRATA: Gain Direct is 4C and Bright Direct 4D (the tables print 0C / 0D).
    _R("CAM_Gain Direct", "8x 01 04 4C 00 00 0p 0p FF", "gain"),
    _R("CAM_Gain Limit", "8x 01 04 2C 0p FF", "gain-limit"),
    *_setting("CAM_Bright", "01 04 0D", "", _RESET_UP_DOWN),
    _R("CAM_Bright Direct", "8x 01 04 4D 00 00 0p 0p FF", "bright"),
    *_setting("CAM_ExpComp", "01 04 3E", "exp-comp-mode", _ON_OFF),
    *_setting("CAM_ExpComp", "01 04 0E", "", _RESET_UP_DOWN),
    _R("CAM_ExpComp Direct", "8x 01 04 4E 00 00 0p 0p FF", "exp-comp"),
    # ERRATA: DRC Direct (the Move 4K manual prints an OSD-navigation command in its place).
    _R("CAM_DRC Direct", "8x 01 04 25 00 00 0p 0p FF", "drc"),
    *_setting("CAM_Noise2D", "01 04 50", "nr2d-mode", {"Auto": 0x02, "Manual": 0x03}),
    _R("CAM_Noise2DLevel Direct", "8x 01 04 53 0p FF", "nr2d-level"),
    _R("CAM_Noise3DLevel Direct", "8x 01 04 54 0p FF", "nr3d-level"),
    *_setting("CAM_WDRStrength", "01 04 21", "", _RESET_UP_DOWN),
    _R("CAM_WDRStrength Direct", "8x 01 04 51 00 00 0p 0p FF", "wdr"),
    *_setting("CAM_Backlight", "01 04 33", "backlight", _ON_OFF),
    _R("CAM_Flicker", "8x 01 04 23 0p FF", "flicker"),
    *_setting("CAM_ApertureMode", "01 04 05", "aperture-mode", {"Auto": 0x02, "Manual": 0x03}),
    *_setting("CAM_Aperture", "01 04 02", "", _RESET_UP_DOWN),
    _R("CAM_Aperture Direct", "8x 01 04 42 00 0p 0p FF", "aperture"),
    *_setting("CAM_PictureEffect", "01 04 63", "picture-effect", {"Off": 0x00, "B&W": 0x04}),
    _R("CAM_Memory Reset", "8x 01 04 3F 00 pp FF", "memory"),
    _R("CAM_Memory Set", "8x 01 04 3F 01 pp FF", "memory"),
    _R("CAM_Memory Recall", "8x 01 04 3F 02 pp FF", "memory"),
    # ERRATA: told from Pan_TiltDrive only by its length.
    _R("Preset Recall Speed", "8x 01 06 01 pp FF", "preset-speed"),
    _R("CAM_ImageFreeze", "8x 01 04 62 0p FF", "freeze"),
    *_setting("CAM_LR_Reverse", "01 04 61", "lr-reverse", _ON_OFF),
    *_setting("CAM_PictureFlip", "01 04 66", "picture-flip", _ON_OFF),
    _R("CAM_ColorGain Direct", "8x 01 04 49 00 00 00 0p FF", "color-gain"),
    # The IP table prints it one 00 shorter; cameras take both.
    _R("CAM_ColorGain Direct (short)", "8x 01 04 49 00 00 0p FF", "color-gain"),
    *(_R(f"Pan_TiltDrive {name}", f"8x 01 06 01 VV WW {pan:02X} {tilt:02X} FF")
      for name, pan, tilt in (("Up", 3, 1), ("Down", 3, 2), ("Left", 1, 3), ("Right", 2, 3), ("UpLeft", 1, 1),
                              ("UpRight", 2, 1), ("DownLeft", 1, 2), ("DownRight", 2, 2), ("Stop", 3, 3))),
    # ERRATA: four pan nibbles and four tilt nibbles (the tables print three Y).
    _R("Pan_TiltDrive AbsolutePosition", "8x 01 06 02 VV WW 0Y 0Y 0Y 0Y 0Z 0Z 0Z 0Z FF", action="absolute"),
    _R("Pan_TiltDrive RelativePosition", "8x 01 06 03 VV WW 0Y 0Y 0Y 0Y 0Z 0Z 0Z 0Z FF", action="relative"),
    _R("Pan_TiltDrive Home", "8x 01 06 04 FF"),
    _R("Pan_TiltDrive Reset", "8x 01 06 05 FF", action="home"),
    _R("Pan_TiltLimitSet LimitSet", "8x 01 06 07 00 0W 0Y 0Y 0Y 0Y 0Z 0Z 0Z 0Z FF"),
    _R("Pan_TiltLimitSet LimitClear", "8x 01 06 07 01 0W 07 0F 0F 0F 07 0F 0F 0F FF"),
    _R("CAM_Brightness Direct", "8x 01 04 A1 00 00 0p 0p FF", "brightness"),
    _R("CAM_Contrast Direct", "8x 01 04 A2 00 00 0p 0p FF", "contrast"),
    *_setting("CAM_Flip", "01 04 A4", "flip", {"Off": 0x00, "Flip-H": 0x01, "Flip-V": 0x02, "Flip-HV": 0x03}),
    *_setting("CAM_AWB Sensitivity", "01 04 A9", "awb-sensitivity", {"High": 0x00, "Normal": 0x01, "Low": 0x02}),
    *_setting("CAM_AFZone", "01 04 AA", "af-zone", {"Top": 0x00, "Center": 0x01, "Bottom": 0x02}),
    _R("CAM_ColorHue Direct", "8x 01 04 4F 00 00 0p 0p FF", "color-hue"),
    _R("CAM_OSD Open / Close", "8x 01 04 3F 02 5F FF"),
    _R("CAM_OSD Close", "8x 01 06 06 03 FF"),
    _R("CAM_OSD Navigate Up", "8x 01 06 01 0E 0E 03 01 FF"),
    _R("CAM_OSD Navigate Down", "8x 01 06 01 0E 0E 03 02 FF"),
    _R("CAM_OSD Navigate Left", "8x 01 06 01 0E 0E 01 03 FF"),
    _R("CAM_OSD Navigate Right", "8x 01 06 01 0E 0E 02 03 FF"),
    _R("CAM_OSD Enter", "8x 01 06 06 05 FF"),
    _R("CAM_OSD Return", "8x 01 06 06 04 FF"),
    _R("Cam_LensType Type1", "8x 0A 01 04 1B 00 FF", "lens-type", 0),
    _R("Cam_LensType Type2", "8x 0A 01 04 1B 01 FF", "lens-type", 1),
    _R("CAM_AF Calibration", "8x 0A 01 03 12 FF"),
    _R("CAM_TallyLight", "8x 0A 02 02 0p FF", "tally"),
    *(_R(f"CAM_NDIMode {name}", f"8x 0B 01 {value:02X} FF", "ndi-mode", value)
      for name, value in (("High", 1), ("Medium", 2), ("Low", 3), ("Off", 4))),
    _R("CAM_MulticastMode", "8x 0B 01 23 0p FF", "multicast"),
    _R("CAM_RTMPSet Toggle RTMP", "8x 0A 11 A8 pp FF", "rtmp-set", action="rtmp"),
    *_setting("CAM_PTZMotionSync", "0A 11 13", "motion-sync", {"On": 0x02, "Off": 0x03}),
    _R("CAM_PTZMotionSync Max Speed Limit", "8x 0A 11 14 pp FF", "motion-sync-speed"),
    # The Move 4K manual prints this row with category 2A as well.
    _R("CAM_PTZMotionSync Max Speed Limit (2A)", "8x 2A 11 14 pp FF", "motion-sync-speed"),
    _R("CAM_FocusRange", "8x 0A 11 42 0p rr tt FF", "focus-range"),
    _R("CAM_SettingSave", "8x 01 04 A5 10 FF"),
    _R("CAM_SettingReset", "8x 01 04 A0 10 FF"),
    _R("CAM_NetworkReset", "8x 0A 01 AA FF"),
    _R("CAM_UACStatus Toggle USB Audio", "8x 2A 02 A0 04 0p FF", "usb-audio"),
)

_Q = SpecInquiry

INQUIRIES: tuple[SpecInquiry, ...] = (
    _Q("CAM_PowerInq", "8x 09 04 00 FF", "y0 50 0p FF", {"p": "power"}),
    _Q("CAM_ZoomPosInq", "8x 09 04 47 FF", "y0 50 0p 0p 0p 0p FF", {"p": "zoom"}),
    # ERRATA: focus mode is 38 and focus position 48 (the Move 4K manual swaps them).
    _Q("CAM_FocusAFModeInq", "8x 09 04 38 FF", "y0 50 0p FF", {"p": "focus-mode"}),
    _Q("CAM_FocusPosInq", "8x 09 04 48 FF", "y0 50 0p 0p 0p 0p FF", {"p": "focus"}),
    _Q("CAM_WBModeInq", "8x 09 04 35 FF", "y0 50 pp FF", {"p": "wb-mode"}),
    _Q("CAM_RGainInq", "8x 09 04 43 FF", "y0 50 00 00 0p 0p FF", {"p": "r-gain"}),
    _Q("CAM_BGainInq", "8x 09 04 44 FF", "y0 50 00 00 0p 0p FF", {"p": "b-gain"}),
    _Q("CAM_ColorTempInq", "8x 09 04 20 FF", "y0 50 pp FF", {"p": "color-temperature"}),
    _Q("CAM_RTuningInq", "8x 09 04 12 FF", "y0 50 00 00 0p 0p FF", {"p": "r-tuning"}),
    _Q("CAM_BTuningInq", "8x 09 04 13 FF", "y0 50 00 00 0p 0p FF", {"p": "b-tuning"}),
    _Q("CAM_AEModeInq", "8x 09 04 39 FF", "y0 50 pp FF", {"p": "ae-mode"}),
    # The IP table prints 0p 0q, the manual 00 00 0p 0q: the manual's is the shape of every
    # other position answer.
    _Q("CAM_ShutterPosInq", "8x 09 04 4A FF", "y0 50 00 00 0p 0p FF", {"p": "shutter"}),
    _Q("CAM_IrisPosInq", "8x 09 04 4B FF", "y0 50 00 00 0p 0p FF", {"p": "iris"}),
    _Q("CAM_GainPosInq", "8x 09 04 4C FF", "y0 50 00 00 0p 0p FF", {"p": "gain"}),
    _Q("CAM_BrightPosInq", "8x 09 04 4D FF", "y0 50 00 00 0p 0p FF", {"p": "bright"}),
    _Q("CAM_ExpCompModeInq", "8x 09 04 3E FF", "y0 50 0p FF", {"p": "exp-comp-mode"}),
    _Q("CAM_ExpCompPosInq", "8x 09 04 4E FF", "y0 50 00 00 0p 0p FF", {"p": "exp-comp"}),
    _Q("CAM_BacklightModeInq", "8x 09 04 33 FF", "y0 50 0p FF", {"p": "backlight"}),
    _Q("CAM_Noise2DModeInq", "8x 09 04 50 FF", "y0 50 0p FF", {"p": "nr2d-mode"}),
    _Q("CAM_Noise2DLevel", "8x 09 04 53 FF", "y0 50 0p FF", {"p": "nr2d-level"}),
    _Q("CAM_Noise3DLevel", "8x 09 04 54 FF", "y0 50 0p FF", {"p": "nr3d-level"}),
    _Q("CAM_FlickerModeInq", "8x 09 04 55 FF", "y0 50 0p FF", {"p": "flicker"}),
    _Q("CAM_ApertureModeInq", "8x 09 04 05 FF", "y0 50 0p FF", {"p": "aperture-mode"}),
    _Q("CAM_ApertureInq", "8x 09 04 42 FF", "y0 50 00 00 0p 0p FF", {"p": "aperture"}),
    _Q("SYS_MenuModeInq", "8x 09 06 06 FF", "y0 50 0p FF", {"p": "menu"}),
    _Q("CAM_PictureEffectModeInq", "8x 09 04 63 FF", "y0 50 pp FF", {"p": "picture-effect"}),
    _Q("CAM_MemoryInq", "8x 09 04 3F FF", "y0 50 pp FF", {"p": "memory"}),
    _Q("CAM_LR_ReverseInq", "8x 09 04 61 FF", "y0 50 0p FF", {"p": "lr-reverse"}),
    _Q("CAM_PictureFlipInq", "8x 09 04 66 FF", "y0 50 0p FF", {"p": "picture-flip"}),
    _Q("CAM_ColorGainInq", "8x 09 04 49 FF", "y0 50 00 00 00 0p FF", {"p": "color-gain"}),
    _Q("CAM_PanTiltPosInq", "8x 09 06 12 FF", "y0 50 0w 0w 0w 0w 0z 0z 0z 0z FF", {"w": "pan", "z": "tilt"}),
    _Q("CAM_GainLimitInq", "8x 09 04 2C FF", "y0 50 0p FF", {"p": "gain-limit"}),
    _Q("CAM_AFSensitivityInq", "8x 09 04 58 FF", "y0 50 0p FF", {"p": "af-sensitivity"}),
    _Q("CAM_BrightnessInq", "8x 09 04 A1 FF", "y0 50 00 00 0p 0p FF", {"p": "brightness"}),
    _Q("CAM_ContrastInq", "8x 09 04 A2 FF", "y0 50 00 00 0p 0p FF", {"p": "contrast"}),
    _Q("CAM_FlipInq", "8x 09 04 A4 FF", "y0 50 0p FF", {"p": "flip"}),
    _Q("CAM_AFZoneInq", "8x 09 04 AA FF", "y0 50 0p FF", {"p": "af-zone"}),
    _Q("CAM_ColorHueInq", "8x 09 04 4F FF", "y0 50 00 00 00 0p FF", {"p": "color-hue"}),
    _Q("CAM_AWBSensitivityInq", "8x 09 04 A9 FF", "y0 50 0p FF", {"p": "awb-sensitivity"}),
    _Q("CAM_PTZMotionSyncInq", "8x 09 11 13 FF", "y0 50 0p FF", {"p": "motion-sync-on"}),
    _Q("CAM_PTZMotionSyncSpeedInq", "8x 09 11 14 FF", "y0 50 pp FF", {"p": "motion-sync-speed"}),
    _Q("CAM_FocusRangeInq", "8x 09 06 69 FF", "y0 50 0p rr tt FF",
       {"p": "focus-range-on", "r": "focus-range-far", "t": "focus-range-near"}),
    _Q("CAM_UACInq", "8x 2A 02 A0 04 FF", "y0 50 0p FF", {"p": "usb-audio"}),
    _Q("CAM_RTMPInq", "8x 09 11 53 FF", "y0 50 0p FF", {"p": "rtmp"}),
    # Block inquiries: the Move 4K manual's layouts (16 bytes, VISCA's longest message; the
    # IP table's lens block has 17).
    _Q("CAM_LensBlockInq", "8x 09 7E 7E 00 FF", "y0 50 0u 0u 0u 0u 00 00 0v 0v 0v 0v 00 0w 00 FF",
       {"u": "zoom", "v": "focus", "w": "lens-block-w"}),
    _Q("CAM_CameraBlockInq", "8x 09 7E 7E 01 FF", "y0 50 0p 0p 0q 0q 0r 0s tt 0u vv ww 00 xx 0z FF",
       {"p": "r-gain", "q": "b-gain", "r": "wb-mode-nibble", "s": "aperture-nibble", "t": "ae-mode",
        "u": "camera-block-u", "v": "shutter", "w": "iris", "x": "bright", "z": "exp-comp-nibble"}),
    _Q("CAM_OtherBlockInq", "8x 09 7E 7E 02 FF", "y0 50 0p 0q 00 0r 00 00 00 00 00 00 00 00 00 FF",
       {"p": "power-bit", "q": "lr-reverse-bit", "r": "picture-effect-nibble"}),
    _Q("CAM_EnlargementBlockInq", "8x 09 7E 7E 03 FF", "y0 50 00 00 00 00 00 00 00 0p 0q rr 0s 0t 0u FF",
       {"p": "af-sensitivity", "q": "picture-flip-bit", "r": "color-gain-bits", "s": "flip", "t": "nr2d-level",
        "u": "gain-limit"}),
)

#: What the registers hold before any command set them (a camera out of its box).
DEFAULTS: dict[str, int] = {
    "power": 0x02, "focus-lock": 0x03, "af-sensitivity": 0x02, "wb-mode": 0x00, "r-gain": 0x80, "b-gain": 0x80,
    "color-temperature": 0x1E, "r-tuning": 0x0A, "b-tuning": 0x0A, "ae-mode": 0x00, "iris": 0x0B,
    "shutter": 0x11, "gain": 0x00, "gain-limit": 0x0F, "bright": 0x0E, "exp-comp-mode": 0x03, "exp-comp": 0x07,
    "drc": 0x04, "nr2d-mode": 0x02, "nr2d-level": 0x02, "nr3d-level": 0x02, "wdr": 0x00, "backlight": 0x03,
    "flicker": 0x00, "aperture-mode": 0x02, "aperture": 0x08, "picture-effect": 0x00, "memory": 0x00,
    "preset-speed": 0x18, "freeze": 0x03, "lr-reverse": 0x03, "picture-flip": 0x03, "color-gain": 0x04,
    "brightness": 0x07, "contrast": 0x07, "flip": 0x00, "awb-sensitivity": 0x01, "af-zone": 0x01,
    "color-hue": 0x07, "lens-type": 0, "tally": 0x03, "ndi-mode": 0x01, "multicast": 0x02, "rtmp-set": 0x13,
    "motion-sync": 0x03, "motion-sync-speed": 0x00, "focus-range": 0x000B00, "usb-audio": 0x03, "rtmp": 0x00,
}

_TOKEN = re.compile(r"^(?:[0-9A-F]{2}|8x|y0|[0-9A-F][g-zG-Z]|([g-zG-Z])\1)$")


def _tokens(pattern: str) -> list[str]:
    tokens = pattern.split()
    for token in tokens:
        if not _TOKEN.match(token):
            raise ValueError(f"bad token {token!r} in VISCA pattern {pattern!r}")
    return tokens


def _placeholder(token: str) -> tuple[str, int] | None:
    """(letter, nibbles) for a placeholder token; None for a fixed byte or a start byte. A
    one-nibble placeholder may have a fixed high nibble (``2p``: zoom tele at speed p)."""
    if token in ("8x", "y0") or re.fullmatch(r"[0-9A-F]{2}", token):
        return None
    if token[0] in "0123456789ABCDEF":
        return token[1], 1
    return token[0], 2


def match(pattern: str, frame: bytes) -> dict[str, int] | None:
    """The placeholder values of ``frame`` read against ``pattern``; None if it does not fit."""
    tokens = _tokens(pattern)
    if len(tokens) != len(frame):
        return None
    values: dict[str, int] = {}
    for token, byte in zip(tokens, frame):
        if token == "8x":
            if not 0x81 <= byte <= 0x88:
                return None
            continue
        held = _placeholder(token)
        if held is None:
            if byte != int(token, 16):
                return None
            continue
        letter, nibbles = held
        if byte == TERMINATOR or (nibbles == 1 and byte >> 4 != int(token[0], 16)):
            return None
        values[letter] = values.get(letter, 0) << (4 * nibbles) | (byte & 0x0F if nibbles == 1 else byte)
    return values


def fill(pattern: str, values: dict[str, int], address: int) -> bytes:
    """An answer ``y0 …`` from ``pattern`` with each letter's value spread over its tokens."""
    tokens = _tokens(pattern)
    widths: dict[str, int] = {}
    for token in tokens:
        held = _placeholder(token)
        if held is not None:
            widths[held[0]] = widths.get(held[0], 0) + held[1]
    left = dict(widths)
    out = bytearray()
    for token in tokens:
        if token == "y0":
            out.append(reply_start(address))
            continue
        held = _placeholder(token)
        if held is None:
            out.append(int(token, 16))
            continue
        letter, nibbles = held
        left[letter] -= nibbles
        value = values.get(letter, 0) & ((1 << (4 * widths[letter])) - 1)
        byte = (value >> (4 * left[letter])) & ((1 << (4 * nibbles)) - 1)
        high = int(token[0], 16) << 4 if nibbles == 1 else 0
        out.append(min(high | byte, 0xFE))  # a value byte is never the terminator
    return bytes(out)


def example(pattern: str, value: int = 1) -> bytes:
    """A frame for ``pattern`` with every placeholder nibble set to ``value`` (what tests send)."""
    out = bytearray()
    for token in _tokens(pattern):
        if token == "8x":
            out.append(0x81)
            continue
        held = _placeholder(token)
        if held is None:
            out.append(int(token, 16))
        else:
            out.append(int(token[0], 16) << 4 | value if held[1] == 1 else value << 4 | value)
    return bytes(out)


def find_command(frame: bytes) -> tuple[SpecCommand, dict[str, int]] | None:
    """The command row ``frame`` fits, with its placeholder values."""
    for row in COMMANDS:
        values = match(row.pattern, frame)
        if values is not None:
            return row, values
    return None


def find_inquiry(frame: bytes) -> SpecInquiry | None:
    """The inquiry row ``frame`` is."""
    return next((row for row in INQUIRIES if match(row.pattern, frame) is not None), None)
